"""Child and family voice: who may see which page and API endpoint.

Recorders (admin, scrutineer, trainer) record and see their own records; only admins see every
record, the flags and the links for children and families. Everyone signed in sees the counts
and themes. The page a child or parent answers from needs no account.
"""

from feedback.models import Role

ALL = frozenset(Role)
ADMIN = frozenset({Role.ADMIN})
RECORDERS = frozenset({Role.ADMIN, Role.SCRUTINEER, Role.TRAINER})
PUBLIC = "public"

PAGES = {
    "voice.index": ("/voice", ALL, 200),
    "voice.new": ("/voice/new", RECORDERS, 200),
    "voice.show": ("/voice/999999", RECORDERS, 404),
    "voice.edit": ("/voice/999999/edit", RECORDERS, 404),
    "voice.flags": ("/voice/flags", ADMIN, 200),
    "voice.follow_up": ("/voice/999999/follow-up", ADMIN, 404),
    "voice.collections": ("/voice/collections", ADMIN, 200),
    "voice.collection_new": ("/voice/collections/new", ADMIN, 200),
    "voice.collection": ("/voice/collections/999999", ADMIN, 404),
    "voice.collection_qr": ("/voice/collections/999999/qr.svg", ADMIN, 404),
    # A child or parent answers from the link with no account; an unknown token is a 404.
    "voice.collect": ("/v/not-a-token", PUBLIC, 404),
    "voice.thanks": ("/v/not-a-token/thanks", PUBLIC, 404),
}
POSTS = {
    "voice.collection_close": ("/voice/collections/999999/close", ADMIN, 404),
}
API = {
    "api_voice.create_voice": ("POST", "/api/v1/voice", RECORDERS),
    "api_voice.list_voice": ("GET", "/api/v1/voice", RECORDERS),
    "api_voice.get_voice": ("GET", "/api/v1/voice/999999", RECORDERS),
    "api_voice.voice_summary": ("GET", "/api/v1/voice/summary", ALL),
    "api_voice.follow_up_voice": ("POST", "/api/v1/voice/999999/follow-up", ADMIN),
}
