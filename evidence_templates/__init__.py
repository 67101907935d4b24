"""Jinja2 templates and CSS for the audit dossier and the HTML report (data only)."""
