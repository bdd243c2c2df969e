"""API: The codebook's themes."""

from feedback.api.auth import make_blueprint

bp = make_blueprint("api_themes", __name__, "/api/v1", "The codebook's themes.")
