from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from .citations import citable_loaded, formatted_references
from .models import Authorship, Work, WorkRedirect, WorkTopic


def _get_work(pk: int) -> Work:
    """A work with its venue, byline in order (with affiliations) and topics: four queries,
    404 when unknown."""
    works = Work.objects.select_related("venue").prefetch_related(
        Prefetch(
            "authorships",
            queryset=Authorship.objects.select_related("author")
            .prefetch_related("institutions")
            .order_by("position"),
        ),
        Prefetch(
            "work_topics",
            queryset=WorkTopic.objects.select_related("topic").order_by("-score", "topic__name"),
        ),
    )
    return get_object_or_404(works, pk=pk)


@require_GET
def work_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        work = _get_work(pk)
    except Http404:
        # a work merged into another: its URL points there for good
        kept = WorkRedirect.objects.filter(old_id=pk).values_list("work_id", flat=True).first()
        if kept is None:
            raise
        return redirect("works:detail", pk=kept, permanent=True)
    # the Cite control's references (citeproc-py, from the prefetched byline: no query)
    references = formatted_references(citable_loaded(work))
    # the byline's institutions, each once, in byline order: links to their pages
    affiliations = {i.pk: i for a in work.authorships.all() for i in a.institutions.all()}
    context = {"work": work, "references": references, "affiliations": affiliations.values()}
    return render(request, "works/work_detail.html", context)
