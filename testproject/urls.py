from django.urls import include, path

from testproject.api import delegation_views, mcp_views, views

urlpatterns = [
    path("", include("django_auth0_api.urls")),
    path("api/me", views.MeView.as_view()),
    path("api/messages", views.MessagesView.as_view()),
    path("api/admin", views.AdminView.as_view()),
    path("api/binding", views.BindingView.as_view()),
    path("api/public", views.PublicView.as_view()),
    path("api/echo", views.EchoView.as_view()),
    path("api/public-echo", views.PublicEchoView.as_view()),
    path("plain/me", views.plain_me),
    path("plain/binding", views.plain_binding),
    path("plain/messages", views.plain_messages),
    path("plain/optional", views.plain_optional),
    path("plain/calendar-token", views.plain_calendar_token),
    path("api/mcp/calendar", delegation_views.McpCalendarView.as_view()),
    path("api/calendar/events", delegation_views.CalendarEventsView.as_view()),
    path("mcp", mcp_views.mcp_endpoint()),
]
