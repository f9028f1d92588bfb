from django.http import HttpRequest, HttpResponse


def home(request: HttpRequest) -> HttpResponse:
    return HttpResponse("todo")


def author_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return HttpResponse("todo")
