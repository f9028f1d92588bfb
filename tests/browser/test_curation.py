"""One curator's session in Chromium: upload an import and watch it, review a likely duplicate
side by side and merge it, merge and unmerge an author, revoke a claim (issue 15)."""

from __future__ import annotations

import pytest
from django.test import Client
from playwright.sync_api import expect

from profiles.models import AuthorAuditLog, Claim
from works.models import Author, DuplicateWorkCandidate, ImportBatch, VerificationLevel, Work

pytestmark = pytest.mark.browser

BIB = """
@article{one, title={Knowledge Distillation for Graph Neural Networks},
  author={Kang Liu and Ada Lovelace}, year={2021}, doi={10.1000/kd.1},
  abstract={We distil graph neural networks.}}
@article{two, title={Knowledge distillation for graph neural networks},
  author={Kang Liu}, year={2021}, doi={10.1000/kd.2}}
"""


@pytest.fixture
def curator_page(page, live_server, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    client = Client()
    client.force_login(make_user(is_staff=True, is_superuser=True))
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return page


def test_curator_session(curator_page, live_server, tmp_path, make_author, make_user):
    page, url = curator_page, live_server.url

    # upload: the list's button, the form, then the batch page's status block
    page.goto(f"{url}/admin/works/importbatch/")
    page.get_by_role("link", name="Upload import").click()
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB, encoding="utf-8")
    page.set_input_files("input[name=file]", str(bib))
    page.get_by_role("button", name="Save", exact=True).click()
    status = page.locator("#import-progress")
    expect(status).to_contain_text("Succeeded")
    expect(status).to_contain_text("2 records read")
    expect(page.locator(".errornote")).to_have_count(0)
    expect(page.get_by_role("link", name="Undo this batch")).to_be_visible()

    # watching progress: the block follows a running batch without a reload
    running = ImportBatch.objects.create(
        format="bibtex", file_name="big.bib", status=ImportBatch.Status.RUNNING
    )
    page.goto(f"{url}/admin/works/importbatch/{running.pk}/change/")
    expect(status).to_contain_text("Running")
    ImportBatch.objects.filter(pk=running.pk).update(
        status=ImportBatch.Status.SUCCEEDED, records_read=7, counts={"created": {"works": 7}}
    )
    expect(status).to_contain_text("Succeeded — 7 records read", timeout=5000)

    # the duplicate, side by side, merged keeping the work chosen
    pair = DuplicateWorkCandidate.objects.get()
    newer = pair.work_b
    page.goto(f"{url}/admin/works/duplicateworkcandidate/")
    page.get_by_role("link", name="Review side by side »").click()
    table = page.locator("table.side-by-side")
    expect(table).to_contain_text("10.1000/kd.1")
    expect(table).to_contain_text("10.1000/kd.2")
    expect(table).to_contain_text("We distil graph neural networks.")
    page.check(f"input[name=keep][value='{newer.pk}']")
    page.fill("#id_reason", "the same paper twice")
    page.get_by_role("button", name="Merge into the kept work").click()
    expect(page.locator(".messagelist")).to_contain_text(f"merged into work #{newer.pk}")
    assert Work.objects.filter(pk=pair.work_a_id).count() == 0

    # an author merged, then unmerged
    keep = make_author("Grace Hopper", orcid="0000-0002-1825-0097")
    other = make_author("G. Hopper", openalex_id="A999")
    page.goto(f"{url}/admin/works/author/?q=Hopper")
    page.check(f"input[name=_selected_action][value='{keep.pk}']")
    page.check(f"input[name=_selected_action][value='{other.pk}']")
    page.select_option("select[name=action]", "merge_authors")
    page.get_by_role("button", name="Go").click()
    page.check(f"input[name=keep][value='{keep.pk}']")
    page.fill("input[name=reason]", "one person")
    page.get_by_role("button", name="Merge into the kept author").click()
    expect(page.locator(".messagelist")).to_contain_text("Merged 1 author(s) into Grace Hopper")
    other.refresh_from_db()
    assert other.merged_into_id == keep.pk and other.openalex_id is None

    page.goto(f"{url}/admin/works/author/{other.pk}/change/")
    page.get_by_role("link", name="Unmerge").click()
    page.fill("input[name=reason]", "two people after all")
    page.get_by_role("button", name="Unmerge").click()
    expect(page.locator(".messagelist")).to_contain_text("is a record of its own again")
    other.refresh_from_db()
    assert other.merged_into is None and other.openalex_id == "A999"

    # a claim revoked, with its reason
    owned = make_author("Kang Liu", slug="kang-liu-owned")
    claim = Claim.objects.create(
        author=owned,
        user=make_user(),
        status=Claim.Status.APPROVED,
        level=VerificationLevel.L2,
        evidence_summary="Evidence reviewed and approved by an admin",
        previous_level=VerificationLevel.L1,
    )
    Author.objects.filter(pk=owned.pk).update(verification_level=VerificationLevel.L2)
    page.goto(f"{url}/admin/profiles/claim/{claim.pk}/decide/")
    page.check("input[name=decision][value=revoke]")
    page.fill("input[name=note]", "the evidence was forged")
    page.get_by_role("button", name="Save decision").click()
    expect(page.locator(".messagelist")).to_contain_text("Revoked")
    owned.refresh_from_db()
    assert owned.verification_level == VerificationLevel.L1

    # the audit log tells the story in words
    page.goto(f"{url}/admin/profiles/authorauditlog/")
    expect(page.locator("#result_list")).to_contain_text("verification level L2 → L1")
    expect(page.locator("#result_list")).to_contain_text("OpenAlex id none → A999")
    assert set(AuthorAuditLog.objects.values_list("action", flat=True)) >= {
        "merge",
        "unmerge",
        "revoke",
    }
    # decisions are in "Recent actions"; the index counts what still waits
    page.goto(f"{url}/admin/")
    recent = page.locator("#recent-actions-module")
    expect(recent).to_contain_text("G. Hopper")  # the unmerge
    expect(recent).to_contain_text("Kang Liu (revoked)")  # the claim decision
    expect(recent).to_contain_text(f"works {newer.pk} / -")  # the work merge
    expect(page.locator("#review-queues")).to_contain_text("Likely duplicate works")
