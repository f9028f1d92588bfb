"""A newcomer's first command, `make run`, on an empty SQLite file and without Redis.

The same manage.py commands `make run` runs, in fresh processes with `DATABASE_URL` pointing
at a new SQLite file and `REDIS_URL` unset (eager tasks, local-memory cache), then the pages
a newcomer opens first. Runs in both the SQLite and the PostgreSQL suites: it never uses the
suite's database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bzpeer.lib.text import latex_to_text
from tests.html import visible_text
from works.management.commands.load_demo import FIXTURES, SEED_FILE, read_seed

pytestmark = pytest.mark.sqlite

ROOT = Path(__file__).resolve().parent.parent

# Run inside `manage.py shell`: the pages a newcomer opens after `make run`, fetched through
# Django's test client against the file database; prints what the test checks, as JSON.
WALK = """
import json
from django.test import Client
from django.test.utils import setup_test_environment
from works.models import Author

setup_test_environment()  # lets the client's host through ALLOWED_HOSTS
researcher = Author.objects.get(name_key="mingli song")
work = researcher.authorships.order_by("position", "work_id").first().work
client = Client()
urls = {
    "home": "/",
    "profile": f"/researchers/{researcher.slug}/",
    "profile_page_2": f"/researchers/{researcher.slug}/?page=2",
    "work": f"/works/{work.pk}/",
    "explorer": f"/explore/?center={researcher.slug}",
    "login": "/accounts/login/",
}
pages = {name: client.get(url) for name, url in urls.items()}
graph = client.get(f"/researchers/{researcher.slug}/graph/", headers={"HX-Request": "true"})
print(json.dumps({
    "status": {name: page.status_code for name, page in pages.items()} | {
        "graph": graph.status_code
    },
    "profile": [pages[name].content.decode() for name in ("profile", "profile_page_2")],
    "work_title": work.title,
    "work": pages["work"].content.decode(),
    "graph": graph.content.decode(),
}))
"""

# Run inside `manage.py shell`: a follow that arrives while another thread's transaction
# holds SQLite's write lock, as when someone follows a researcher during an admin import
# under runserver's threads. Prints how each side ended, as JSON.
FOLLOW_DURING_A_WRITE = """
import json, threading, time
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F
from profiles.follows import author_follow
from works.models import Author, Work

researcher = Author.objects.get(name_key="mingli song")
user = get_user_model().objects.create_user("newcomer-follower")
holding = threading.Event()
outcome = {}

def writer():
    try:
        with transaction.atomic():
            Work.objects.filter(pk=Work.objects.order_by("pk")[0].pk).update(year=F("year"))
            holding.set()
            time.sleep(1)  # the follow below starts while this holds the write lock
        outcome["writer"] = "committed"
    except Exception as exc:
        outcome["writer"] = f"{type(exc).__name__}: {exc}"
    finally:
        holding.set()
        connection.close()

thread = threading.Thread(target=writer)
thread.start()
holding.wait()
try:
    outcome["follow"] = "followed" if author_follow(author=researcher, user=user) else "no change"
except Exception as exc:
    outcome["follow"] = f"{type(exc).__name__}: {exc}"
thread.join()
print(json.dumps(outcome))
"""


def _manage(*args: str, database: Path, media: Path) -> str:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER"}
    }
    env |= {
        "DATABASE_URL": f"sqlite:///{database}",  # absolute: sqlite:////tmp/...
        "MEDIA_ROOT": str(media),
        "DJANGO_SETTINGS_MODULE": "bzpeer.settings",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"manage.py {args[0]} failed:\n{result.stdout}{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def newcomer_site(tmp_path_factory) -> dict:
    """`make run` up to runserver, on a new file; the pages it then serves."""
    where = tmp_path_factory.mktemp("make-run")
    database, media = where / "db.sqlite3", where / "media"
    run = {"database": database, "media": media}

    _manage("migrate", "--no-input", **run)
    first = _manage("load_demo", **run)
    second = _manage("load_demo", **run)  # `make run` again: the demo is loaded already
    walk = _json_out(_manage("shell", "--no-imports", "-c", WALK, **run))
    return {"database": database, "load_demo": (first, second), "run": run, **walk}


def _json_out(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


def test_migrate_makes_a_new_sqlite_file(newcomer_site):
    assert newcomer_site["database"].stat().st_size > 0


def test_load_demo_reports_the_seed_works_on_every_run(newcomer_site):
    for output in newcomer_site["load_demo"]:
        assert "24 works, 7 with authors from vipa_mingli_song.bib" in output


def test_the_pages_a_newcomer_opens_answer(newcomer_site):
    assert newcomer_site["status"] == {
        "home": 200,
        "profile": 200,
        "profile_page_2": 200,
        "work": 200,
        "explorer": 200,
        "login": 200,
        "graph": 200,
    }


def test_the_seed_researchers_profile_lists_the_24_works(newcomer_site):
    first, second = (visible_text(page) for page in newcomer_site["profile"])
    assert "Mingli Song" in first
    titles = [latex_to_text(work["title"]) for work in read_seed(FIXTURES / SEED_FILE).works]
    assert len(titles) == 24
    # Twenty works a page (WORKS_PER_PAGE), so the second page holds the last four.
    missing = [title for title in titles if title not in first + " " + second]
    assert missing == []


def test_the_work_page_and_graph_fragment_show_the_seed_researcher(newcomer_site):
    work_page = visible_text(newcomer_site["work"])
    assert latex_to_text(newcomer_site["work_title"]) in work_page
    assert "Mingli Song" in work_page
    assert "Mingli Song" in visible_text(newcomer_site["graph"])


def test_a_follow_during_another_write_waits_for_it_instead_of_failing(newcomer_site):
    # Without transaction_mode IMMEDIATE (settings), SQLite refuses the follow's write at
    # once ("database is locked"): it read first, then asked for the lock another holds.
    run = newcomer_site["run"]
    outcome = _json_out(_manage("shell", "--no-imports", "-c", FOLLOW_DURING_A_WRITE, **run))
    assert outcome == {"writer": "committed", "follow": "followed"}
