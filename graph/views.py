from django.http import HttpRequest, HttpResponse


def author_graph(request: HttpRequest, slug: str) -> HttpResponse:
    return HttpResponse("todo")


def explore(request: HttpRequest) -> HttpResponse:
    return HttpResponse("todo")
