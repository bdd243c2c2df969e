"""Who may reach the codebook, the coding workbench, blind coding and the themes API."""

from feedback.models import Role

ALL = frozenset(Role)
CODERS = frozenset({Role.ADMIN, Role.ANALYST})

PAGES = {
    "themes.workbench": ("/themes", CODERS, 200),
    "themes.export_project": ("/themes/export.qdpx", CODERS, 200),
    "themes.codebook": ("/themes/codebook", CODERS, 200),
    "themes.export_codebook": ("/themes/codebook.qdc", CODERS, 200),
    "themes.theme_new": ("/themes/codebook/new", CODERS, 200),
    "themes.theme_edit": ("/themes/codebook/no_such_theme", CODERS, 404),
    "themes.theme_merge": ("/themes/codebook/no_such_theme/merge", CODERS, 404),
    "themes.emerging": ("/themes/emerging", CODERS, 200),
    "themes.samples": ("/themes/samples", CODERS, 200),
    "themes.sample": ("/themes/samples/999999", CODERS, 404),
    "themes.sample_code": ("/themes/samples/999999/code", CODERS, 404),
    "themes.agreement": ("/themes/samples/999999/agreement", CODERS, 404),
}
POSTS = {
    "themes.decide": ("/themes/segments/999999", CODERS, 404),
    "themes.theme_retire": ("/themes/codebook/no_such_theme/retire", CODERS, 404),
    "themes.theme_restore": ("/themes/codebook/no_such_theme/restore", CODERS, 404),
}
API = {
    "api_themes.list_themes": ("GET", "/api/v1/themes", ALL),
}
