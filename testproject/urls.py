import importlib.util

from django.urls import include, path

from testproject.api import async_views, delegation_views, mcp_views, views

urlpatterns = [
    path("", include("django_auth0_api.urls")),
    path("api/me", views.MeView.as_view()),
    path("api/messages", views.MessagesView.as_view()),
    path("api/admin", views.AdminView.as_view()),
    path("api/binding", views.BindingView.as_view()),
    path("api/documents", views.DocumentsView.as_view()),
    path("api/reports", views.ReportsView.as_view()),
    path("api/payments", views.PaymentsView.as_view()),
    path("api/acme", views.AcmeView.as_view()),
    path("api/public", views.PublicView.as_view()),
    path("api/echo", views.EchoView.as_view()),
    path("api/calendar", views.CalendarProxyView.as_view()),
    path("api/public-echo", views.PublicEchoView.as_view()),
    path("plain/me", views.plain_me),
    path("plain/binding", views.plain_binding),
    path("plain/messages", views.plain_messages),
    path("plain/optional", views.plain_optional),
    path("plain/post", views.plain_post),
    path("plain/transfer", views.plain_transfer),
    path("plain/acme", views.plain_acme),
    path("plain/calendar-token", views.plain_calendar_token),
    path("api/mcp/calendar", delegation_views.McpCalendarView.as_view()),
    path("api/calendar/events", delegation_views.CalendarEventsView.as_view()),
    path("async/me", async_views.async_me),
    path("async/messages", async_views.async_messages),
    path("async/optional", async_views.async_optional),
    path("async/open", async_views.async_open),
    path("async/echo", async_views.async_echo),
    path("async/calendar-token", async_views.async_calendar_token),
    path("async/class-me", async_views.async_me_class),
    path("adrf/me", async_views.AdrfMeView.as_view()),
    path("adrf/messages", async_views.AdrfMessagesView.as_view()),
    path("adrf/admin", async_views.AdrfAdminView.as_view()),
    path("ninja/", async_views.ninja_api.urls),
    path("ninja-bare/", async_views.bare_ninja_api.urls),
    path("mcp", mcp_views.mcp_endpoint()),
]

# docs/faces/drf.md, "OpenAPI": Swagger UI logs in through Auth0.
if importlib.util.find_spec("drf_spectacular") is not None:
    from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

    urlpatterns += [
        path("api/schema", SpectacularAPIView.as_view(), name="schema"),
        path("api/docs", SpectacularSwaggerView.as_view(url_name="schema")),
    ]
