"""A URLconf for the scope declarations the RFC 9728 metadata collects."""

from django.http import JsonResponse
from django.urls import include, path
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from django_auth0_api.decorators import auth0_required
from django_auth0_api.permissions import TokenHasPermission, TokenHasScope


@auth0_required(scopes=["plain:read"])
def plain(request):
    return JsonResponse({})


class AndView(APIView):
    permission_classes = [IsAuthenticated & TokenHasScope]
    required_scopes = ["a:and", "b:and"]


class OrView(APIView):  # either side may let a request in: no scope is required
    permission_classes = [TokenHasPermission | TokenHasScope]
    required_scopes = ["or:never"]


urlpatterns = [
    path("", include("django_auth0_api.urls")),
    path("plain", plain),
    path("and", AndView.as_view()),
    path("or", OrView.as_view()),
]
