import logging

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "testproject.api"

    def ready(self):
        # django-mcp-server builds its FastMCP server at import, and FastMCP (mcp 1.x) calls
        # logging.basicConfig: a rich handler on the root logger at INFO. The project's logging
        # stays Django's: take it off again (mcp_server, listed earlier, is ready by now).
        root = logging.getLogger()
        for handler in list(root.handlers):
            if type(handler).__module__.startswith("rich."):
                root.removeHandler(handler)
        root.setLevel(logging.WARNING)
