"""The local preview dashboard: the report's three pages as one static HTML file, from the local warehouse.

    from semantic_model.dashboard import build_dashboard
    build_dashboard(load_settings("local"))  # -> data/dashboard/index.html
"""

from semantic_model.dashboard.build import DEFAULT_OUT, DashboardData, build_dashboard, collect, render

__all__ = ["DEFAULT_OUT", "DashboardData", "build_dashboard", "collect", "render"]
