from django.http import HttpRequest, HttpResponse


def work_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return HttpResponse("todo")
