"""Two users: Bob can read, cancel, retry, delete or download nothing of Alice's.

The routes are not listed here by hand: they are walked from Django's resolver, so a
route added later is checked too. Every route that takes an object id is requested by
Bob, with each of Alice's objects of the right kind and with every HTTP method, and
must answer exactly what a never-existing id gets: a 404 in the API's JSON shape or the
site's own 404 page (405 for a method the route does not take). A route taking an id
this module does not know how to fill fails the test until someone decides what
belongs in it (`PAGE_ID_KINDS`, `API_ID_KINDS`; for the admin, which must send a
non-staff user to its login page whatever the URL, `ADMIN_OBJECT_IDS`, `ADMIN_VALUES`).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import FileField
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.utils.regex_helper import normalize
from rest_framework.test import APIClient

from gallery import services
from gallery.models import Batch, Photo, ShareLink, Style, Stylization, StylizationStyle
from stylizer.engine.params import StyleParams
from tests.gallery.api.conftest import token_client
from tests.gallery.factories import make_photo, make_style, make_stylization, make_user

pytestmark = pytest.mark.django_db(transaction=True)

Status = Stylization.Status
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
OUR_404_PAGE = "belongs to someone else"

# Which of Alice's objects fills an id: page routes by converter name, API routes by the
# router's basename (`api:<basename>-<action>`, always with `id`).
PAGE_ID_KINDS = {
    "photo_id": "photo",
    "style_id": "style",
    "stylization_id": "stylization",
    "share_id": "share",
    "batch_id": "batch",
}
API_ID_KINDS = {"photo": "photo", "style": "style", "stylization": "stylization", "share": "share", "batch": "batch"}
# Routes whose parameters are a credential, not an object id: whoever holds a password-reset
# link may use it. tests/gallery/test_accounts.py proves a wrong or used link changes nothing.
# A share link's token shows its one result to anyone holding it, by design;
# tests/gallery/test_sharing.py proves it gives no other rights and that a revoked one is 404.
CREDENTIAL_ROUTES = {"password_reset_confirm", "share_page", "share_result", "shared-detail", "shared-result"}
# Routes whose id names something public, the same for everyone: the landing page's examples
# (tests/gallery/test_examples.py: only an active catalogue style's example is served).
PUBLIC_ROUTES = {"example_before", "example_after"}


# The resolver, walked ----------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    namespace: str
    name: str  # "" for unnamed patterns
    chain: tuple  # the patterns from the root URLconf down to the view
    text: str  # the route as written, e.g. "results/<uuid:stylization_id>/cancel/"

    @property
    def label(self) -> str:
        return f"{self.namespace}:{self.name or '?'} /{self.text}"

    @property
    def params(self) -> set[str]:
        return {name for pattern in self.chain for name in pattern.regex.groupindex}

    def url(self, **values) -> str:
        """The path with `values` in its groups (Django's own reverse() logic, for unnamed routes too)."""
        path = "/"
        for pattern in self.chain:
            candidates = [
                (text, params) for text, params in normalize(pattern.regex.pattern) if set(params) <= values.keys()
            ]
            text, params = max(candidates, key=lambda candidate: len(candidate[1]))
            path += text % {param: str(values[param]) for param in params}
        return path


def _walk(patterns, namespace: str = "", chain: tuple = ()) -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, entry.namespace or namespace, (*chain, entry.pattern))
        else:
            full = (*chain, entry.pattern)
            yield Route(namespace, entry.name or "", full, "".join(str(pattern) for pattern in full))


ROUTES = list(_walk(get_resolver().url_patterns))
ADMIN_ROUTES = [route for route in ROUTES if route.namespace == "admin"]
SITE_ROUTES = [
    route for route in ROUTES if route.namespace != "admin" and route.name not in CREDENTIAL_ROUTES | PUBLIC_ROUTES
]
ID_ROUTES = [route for route in SITE_ROUTES if route.params]
PLAIN_ROUTES = [route for route in SITE_ROUTES if not route.params]


def _kind(route: Route) -> str:
    """The kind of Alice's object that fills this route's id; fails on a route nobody thought about."""
    if route.namespace == "api":
        basename = route.name.rsplit("-", 1)[0]
        if route.params == {"id"} and basename in API_ID_KINDS:
            return API_ID_KINDS[basename]
    elif len(route.params) == 1 and (param := next(iter(route.params))) in PAGE_ID_KINDS:
        return PAGE_ID_KINDS[param]
    pytest.fail(
        f"{route.label} takes {sorted(route.params)}, and this module does not know which of another "
        "user's objects to try there: add it to PAGE_ID_KINDS or API_ID_KINDS (and make sure it is 404)."
    )


# Alice's objects, and what must not change -------------------------------------------


@dataclass
class Alice:
    user: object
    photo: Photo
    style: Style  # private to her
    stylizations: dict[str, Stylization]  # succeeded (result + preview), queued (cancellable), failed (retryable)
    share: ShareLink  # of the succeeded one, not in the public gallery: its token is hers to give
    batch: Batch  # her photo in one more style, "one picture per style"

    def objects(self, kind: str) -> list:
        return {
            "photo": [self.photo],
            "style": [self.style],
            "stylization": list(self.stylizations.values()),
            "share": [self.share],
            "batch": [self.batch],
        }[kind]

    def rows(self) -> list:
        return [*(row for model in OWNED_MODELS for row in model.objects.filter(owner=self.user))]

    def stored_files(self) -> list[str]:
        return [file.name for row in self.rows() for file in _files(row) if file]

    def secrets(self) -> set[str]:
        """Strings that must never reach anyone else: her ids, stored file names and private titles."""
        found = {str(row.pk) for row in self.rows()} | {self.style.title, self.share.token}
        return found | {Path(name).stem for name in self.stored_files()}


OWNED_MODELS = (Photo, Style, Stylization, ShareLink, Batch)


def _files(row) -> list:
    return [getattr(row, field.name) for field in row._meta.concrete_fields if isinstance(field, FileField)]


def _digest(file) -> str | None:
    if not file:
        return None
    try:
        with file.storage.open(file.name, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except FileNotFoundError:
        return "missing"


def _state(user, queue) -> dict:
    """Every column of the user's rows, the bytes of their files, and the queue's jobs."""
    state: dict = {"queue": sorted(queue.get_job_ids())}
    for model in OWNED_MODELS:
        for row in model.objects.filter(owner=user):
            columns = {field.attname: getattr(row, field.attname) for field in row._meta.concrete_fields}
            state[model.__name__, row.pk] = (columns, [_digest(file) for file in _files(row)])
    state["links"] = sorted(
        StylizationStyle.objects.filter(stylization__owner=user).values_list("stylization", "style", "weight")
    )
    return state


@pytest.fixture
def alice(idle_queue) -> Alice:
    user = make_user("alice")
    stylizations = {
        "succeeded": make_stylization(user, status=Status.SUCCEEDED),
        "queued": make_stylization(user),
        "failed": make_stylization(user, status=Status.FAILED, error_message="The worker stopped; retry it."),
    }
    assert stylizations["succeeded"].result and stylizations["succeeded"].preview
    style = make_style("alice-private-painting", owner=user)
    share = services.share_create(stylization=stylizations["succeeded"])
    photo = stylizations["succeeded"].photo
    batch = services.batch_create(owner=user, photo=photo, styles=[make_style()], params=StyleParams(size=64, steps=3))
    return Alice(user, photo, style, stylizations, share, batch)


@pytest.fixture
def bob(idle_queue) -> tuple[Client, APIClient]:
    """Bob, signed in on the site (session) and on the API (his token); he has rows of his own."""
    user = make_user("bob")
    make_stylization(user, status=Status.SUCCEEDED)
    make_stylization(user)
    pages = Client()
    pages.force_login(user)
    pages.user = user
    return pages, token_client(user)


def _send(client, method: str, url: str):
    return getattr(client, method.lower())(url)


def _leaks(response, secrets: set[str]) -> list[str]:
    if response.get("Content-Type", "").startswith("image/"):
        return ["image bytes"]
    body = b"".join(response) if response.streaming else response.content
    text = body.decode(errors="replace")
    return sorted(secret for secret in secrets if secret in text)


# Routes that take an id --------------------------------------------------------------


def test_the_walk_finds_the_routes_that_take_an_id():
    names = {f"{route.namespace}:{route.name}" for route in ID_ROUTES}
    assert {"gallery:stylization_cancel", "gallery:stylization_result", "gallery:photo_delete"} <= names
    assert {"api:stylization-retry", "api:photo-image", "api:style-detail"} <= names
    for route in ID_ROUTES:
        assert _kind(route)


def test_another_user_gets_404_from_every_route_that_takes_an_id(alice, bob, idle_queue):
    """Same answer as for an id that never existed, for each of Alice's objects and every method;
    afterwards Alice's rows, files and queued jobs are exactly as they were."""
    pages, api = bob
    before = _state(alice.user, idle_queue)
    secrets = alice.secrets()
    problems: list[str] = []
    for route in ID_ROUTES:
        client = api if route.namespace == "api" else pages
        param = next(iter(route.params))
        nowhere = route.url(**{param: uuid.uuid4()})
        reference = {method: _send(client, method, nowhere) for method in METHODS}
        assert any(response.status_code == 404 for response in reference.values()), route.label
        for row in alice.objects(_kind(route)):
            url = route.url(**{param: row.pk})
            for method, expected in reference.items():
                response = _send(client, method, url)
                where = f"{method} {url} ({route.label}, {type(row).__name__} {getattr(row, 'status', '')})"
                problems += _compare(route, method, response, expected, where)
                problems += [f"{where} leaks {leak}" for leak in _leaks(response, secrets)]
    assert not problems, "\n".join(problems)
    assert _state(alice.user, idle_queue) == before

    # The URLs were right: Alice herself gets past the lookup on every route.
    own_pages, own_api = Client(), token_client(alice.user)
    own_pages.force_login(alice.user)
    for route in ID_ROUTES:
        client = own_api if route.namespace == "api" else own_pages
        param = next(iter(route.params))
        answers = []
        for row in alice.objects(_kind(route)):  # the succeeded one first: nothing to cancel or retry
            answers.append(_owner_answer(client, route.url(**{param: row.pk})))
            if answers[-1] not in (404, 405):
                break
        else:
            pytest.fail(f"{route.label}: Alice herself got {answers}")


def _compare(route: Route, method: str, response, expected, where: str) -> list[str]:
    """Bob's answer must be the never-existing id's answer, and a 404 wherever the route takes the method.

    Besides 404: 405 for a method the route does not take, 403 for the catalogue's staff-only
    writes and 200 for the API's OPTIONS (it describes the endpoint). All three come before any
    lookup, so they are the same for every id and tell nothing.
    """
    status = response.status_code
    if status != expected.status_code:
        return [f"{where}: {status}, but a never-existing id gets {expected.status_code}"]
    allowed = {404, 405} | ({403} if route.name.startswith("style-") else set())
    allowed |= {200} if method == "OPTIONS" and route.namespace == "api" else set()
    if status not in allowed:
        return [f"{where}: {status}"]
    if status != 404 or method == "HEAD":
        return []
    if route.namespace == "api":
        if response.json() != expected.json() or response.json()["code"] != "not_found":
            return [f"{where}: {response.json()} instead of {expected.json()}"]
    elif OUR_404_PAGE not in response.content.decode():
        return [f"{where}: not the site's 404 page"]
    return []


def _owner_answer(client, url: str) -> int:
    """GET, or POST where the route takes no GET (cancel, retry: refused or harmless for the row tried first)."""
    status = client.get(url).status_code
    return client.post(url).status_code if status == 405 else status


def test_anonymous_visitors_get_nothing_from_any_route_that_takes_an_id(alice, idle_queue):
    """Signed out: a login redirect (pages), 401 (API) or 404; never bytes, never a change."""
    before = _state(alice.user, idle_queue)
    secrets = alice.secrets()
    login = reverse("login")
    problems = []
    for route in ID_ROUTES:
        client = APIClient() if route.namespace == "api" else Client()
        param = next(iter(route.params))
        for row in alice.objects(_kind(route)):
            url = route.url(**{param: row.pk})
            for method in METHODS:
                response = _send(client, method, url)
                where = f"{method} {url} ({route.label})"
                status = response.status_code
                redirected_to_login = status == 302 and response["Location"].startswith(login)
                if not (redirected_to_login or status in (401, 404, 405)):
                    problems.append(f"{where}: {status}")
                problems += [f"{where} leaks {leak}" for leak in _leaks(response, secrets)]
    assert not problems, "\n".join(problems)
    assert _state(alice.user, idle_queue) == before


# The admin ---------------------------------------------------------------------------

# What fills each admin URL parameter: Alice's objects where the parameter names one
# (object_id by the model admin's prefix; "r" is the admin's view-on-site redirect).
ADMIN_OBJECT_IDS = {
    "r": lambda alice: alice.stylizations["succeeded"].pk,
    "gallery/photo": lambda alice: alice.photo.pk,
    "gallery/style": lambda alice: alice.style.pk,
    "gallery/stylization": lambda alice: alice.stylizations["succeeded"].pk,
    "gallery/sharelink": lambda alice: alice.share.pk,
    "gallery/batch": lambda alice: alice.batch.pk,
    "gallery/example": lambda alice: 1,
    "auth/user": lambda alice: alice.user.pk,
    "authtoken/tokenproxy": lambda alice: alice.user.pk,
    "auth/group": lambda alice: 1,
    "django_rq/dashboard": lambda alice: 1,
    "axes/accessattempt": lambda alice: 1,
    "axes/accessfailurelog": lambda alice: 1,
    "axes/accesslog": lambda alice: 1,
}
ADMIN_VALUES = {
    "content_type_id": lambda alice: ContentType.objects.get_for_model(Stylization).pk,
    "id": lambda alice: alice.user.pk,
    "queue_index": lambda alice: 0,
    "scheduler_index": lambda alice: 0,
    "connection_index": lambda alice: 0,
    "job_id": lambda alice: alice.stylizations["queued"].job_id,
    "result_id": lambda alice: "1",
    "key": lambda alice: "rq:worker:x",
    "scheduler_name": lambda alice: "x",
    "cron_job_name": lambda alice: "x",
    "token": lambda alice: "x",
    "app_label": lambda alice: "gallery",
    "url": lambda alice: f"gallery/stylization/{alice.stylizations['succeeded'].pk}/change/",
}


def _admin_values(route: Route, alice: Alice) -> dict:
    values = {}
    for param in route.params:
        if param == "object_id":
            fill = ADMIN_OBJECT_IDS.get(route.text.removeprefix("admin/").split("/<")[0])
        else:
            fill = ADMIN_VALUES.get(param)
        if fill is None:
            pytest.fail(f"{route.label}: no value for {param!r}; add one to ADMIN_OBJECT_IDS or ADMIN_VALUES.")
        values[param] = fill(alice)
    return values


def test_the_admin_sends_a_non_staff_user_to_its_login_page(alice, bob):
    pages, _ = bob
    secrets = alice.secrets()
    admin_login, admin_index = reverse("admin:login"), reverse("admin:index")
    problems = []
    for route in ADMIN_ROUTES:
        url = route.url(**_admin_values(route, alice))
        for method in ("GET", "POST"):
            response = _send(pages, method, url)
            where = f"{method} {url} ({route.label})"
            status = response.status_code
            if status == 302:
                if not response["Location"].startswith((admin_login, admin_index)):
                    problems.append(f"{where}: redirected to {response['Location']}")
            elif 200 <= status < 300:
                if route.name != "login":  # the login form itself, saying Bob may not enter
                    problems.append(f"{where}: {status}")
            elif status not in (401, 403, 404, 405):
                problems.append(f"{where}: {status}")
            problems += [f"{where} leaks {leak}" for leak in _leaks(response, secrets)]
    assert not problems, "\n".join(problems)
    assert len(ADMIN_ROUTES) > 20  # the walk reached the model admins and the RQ dashboard
    assert pages.get(reverse("admin:gallery_stylization_changelist"))["Location"].startswith(admin_login)


# Lists and filters -------------------------------------------------------------------


def test_lists_and_filters_never_show_another_users_rows(alice, bob):
    pages, api = bob
    secrets = alice.secrets()
    mine = {str(row.pk) for row in Stylization.objects.filter(owner=pages.user)}
    statuses = list(Status.values)
    # Every route without an id, as the resolver has them, plus each filter and page.
    urls = [(pages if route.namespace != "api" else api, route.url()) for route in PLAIN_ROUTES]
    urls += [(pages, f"/results/?status={status}") for status in [*statuses, "bogus"]]
    urls += [(pages, f"/results/?page={page}") for page in (1, 2, "last", "x")]
    urls += [(pages, f"/create/?photo={alice.photo.pk}&style={alice.style.pk}")]
    urls += [(pages, f"/create/?remix={alice.stylizations['succeeded'].pk}&as={how}") for how in ("photo", "style")]
    urls += [(api, f"/api/v1/stylizations/?status={status}&page_size=100") for status in statuses]
    urls += [(api, f"/api/v1/{name}/?page_size=100") for name in ("photos", "stylizations", "styles")]
    problems = []
    for client, url in urls:
        response = client.get(url)
        problems += [f"GET {url} leaks {leak}" for leak in _leaks(response, secrets)]
    assert not problems, "\n".join(problems)

    # ...while Bob's own rows are there: the lists above were not simply empty.
    for client, url in [(pages, "/results/"), (api, "/api/v1/stylizations/")]:
        body = client.get(url).content.decode()
        assert all(pk in body for pk in mine), url
    bob_photo = str(Photo.objects.filter(owner=pages.user).first().pk)
    for client, url in [(pages, "/photos/"), (pages, "/create/"), (api, "/api/v1/photos/")]:
        assert bob_photo in client.get(url).content.decode(), url


def test_the_create_form_refuses_another_users_photo_and_private_style(alice, bob):
    """The API's side is test_someone_elses_photo_or_private_style_is_not_available in
    tests/gallery/api/test_stylizations.py."""
    pages, _ = bob
    curated, own_photo = make_style(), make_photo(pages.user)
    options = {"size": "256", "preset": "draft", "style_strength": "1"}
    url = reverse("gallery:stylization_create")
    for choice in ({"photo": alice.photo.pk, "styles": curated.pk}, {"photo": own_photo.pk, "styles": alice.style.pk}):
        response = pages.post(url, {**options, **choice})
        assert response.status_code == 400, choice
        assert "Select a valid choice" in response.content.decode()
    assert not Stylization.objects.filter(photo=alice.photo).exclude(owner=alice.user).exists()
    assert not Stylization.objects.filter(styles=alice.style).exists()
    # The same form with his own photo and a catalogue style goes through.
    assert pages.post(url, {**options, "photo": own_photo.pk, "styles": curated.pk}).status_code == 302


# Media files -------------------------------------------------------------------------


def test_stored_files_have_no_public_url(alice, bob, client):
    """Images leave only through the owner-checking views: no /media/ route, nothing served from MEDIA_ROOT."""
    pages, _ = bob
    owner = Client()
    owner.force_login(alice.user)
    stored = alice.stored_files()
    # Her 3 photos and thumbnails, the private style and its thumbnail, a result and a preview.
    assert len(stored) == 10
    for name in stored:
        for url in (f"/media/{name}", f"/{name}", f"/static/{name}", f"/static/../media/{name}"):
            for who, visitor in (("alice", owner), ("bob", pages), ("anonymous", client)):
                response = visitor.get(url)
                assert response.status_code == 404, (who, url, response.status_code)
                assert not _leaks(response, {Path(name).stem}), (who, url)
