"""A small LTI 1.3 platform for the tests: the LMS side of a launch.

It runs on 127.0.0.1 (a threaded HTTP server) with its own RSA key and JWKS,
signs launch id_tokens and deep-linking requests with PyJWT, serves an OIDC
auth endpoint (which answers the tool's login redirect with an auto-posting
form, as an LMS does), an OAuth2 token endpoint (client_credentials with a JWT
assertion, checked against the tool's JWKS), line items that record every
score they receive, an NRPS membership endpoint, and a deep-linking return URL
that records what the tool sends back. `down = True` makes its services answer
503, as a platform that is down would.
"""

import html
import json
import secrets
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit
from urllib.request import urlopen

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
SCOPES = [AGS + "scope/lineitem", AGS + "scope/score", AGS + "scope/result.readonly"]


def new_private_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(private_key):
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


class Platform:
    def __init__(self, client_id="klonopin-tool", deployment_id="deployment-1"):
        self.key = new_private_key()
        self.kid = "platform-key-1"
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.reset()

    def reset(self):
        self.down = False
        self.scores = []  # (line item path, score JSON, Authorization header)
        self.token_requests = []  # the verified client assertions' claims
        self.tokens = set()
        self.line_items = {}  # id -> line item JSON (made by the tool)
        self.deep_link_responses = []  # the tool's signed responses (raw JWT)
        self.members = []
        self.logins = {}  # login_hint -> claims to sign at /auth
        self.tool_jwks = None  # the tool's JWKS (dict), or:
        self.tool_jwks_url = None  # where to fetch it
        self.iframe_src = ""

    # -- addresses ----------------------------------------------------------
    @property
    def url(self):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    issuer = url

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def registration_fields(self):
        return {
            "name": "Test LMS", "issuer": self.url, "client_id": self.client_id,
            "auth_url": self.url + "/auth", "token_url": self.url + "/token",
            "keyset_url": self.url + "/jwks",
        }

    def jwks(self):
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    # -- messages -------------------------------------------------------------
    def sign(self, claims, *, key=None, kid=None, headers=None):
        return jwt.encode(claims, pem(key or self.key), algorithm="RS256",
                          headers={"kid": kid or self.kid, **(headers or {})})

    def claims(self, *, nonce, sub="learner-1", roles=("Learner",), resource=None,
               message_type="LtiResourceLinkRequest", context_id="lms-course-1",
               context_title="NURS 210 Pharmacology", resource_link_id="link-1",
               lineitem="line-1", name="Lee Learner", email="lee@example.edu",
               expires_in=300, **extra):
        now = int(time.time())
        claims = {
            "iss": self.issuer, "aud": self.client_id, "azp": self.client_id,
            "sub": sub, "nonce": nonce, "iat": now, "exp": now + expires_in,
            LTI + "deployment_id": self.deployment_id,
            LTI + "message_type": message_type,
            LTI + "version": "1.3.0",
            LTI + "roles": [ROLE + role for role in roles],
            LTI + "context": {"id": context_id, "title": context_title, "label": "NURS210",
                              "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"]},
            LTI + "tool_platform": {"guid": "test-lms", "name": "Test LMS"},
            LTI + "target_link_uri": "http://tool.invalid/lti/launch/",
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": self.url + "/memberships",
                "service_versions": ["2.0"],
            },
        }
        if name:
            claims["name"] = name
        if email:
            claims["email"] = email
        if message_type == "LtiResourceLinkRequest":
            claims[LTI + "resource_link"] = {"id": resource_link_id, "title": "A link"}
            ags = {"scope": SCOPES, "lineitems": self.url + "/lineitems"}
            if lineitem:
                ags["lineitem"] = f"{self.url}/lineitems/{lineitem}"
            claims[AGS + "claim/endpoint"] = ags
        if message_type == "LtiDeepLinkingRequest":
            claims[DL + "deep_linking_settings"] = {
                "deep_link_return_url": self.url + "/deep-link-return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "accept_multiple": False, "data": "platform-opaque-data",
            }
        if resource:
            claims[LTI + "custom"] = {"resource": resource}
        claims.update(extra)
        return claims

    def login_url(self, tool_url, login_hint, path="/lti/login/"):
        """The third-party login initiation an LMS starts a launch with."""
        return tool_url + path + "?" + urlencode({
            "iss": self.issuer, "login_hint": login_hint, "client_id": self.client_id,
            "target_link_uri": tool_url + "/lti/launch/",
            "lti_deployment_id": self.deployment_id,
        })

    # -- what the tool sends ----------------------------------------------------
    def _tool_keys(self):
        if self.tool_jwks is not None:
            return self.tool_jwks
        with urlopen(self.tool_jwks_url, timeout=5) as answer:  # noqa: S310 (127.0.0.1)
            return json.load(answer)

    def verify_tool_jwt(self, token, audience):
        """A JWT the tool signed, checked against the tool's JWKS."""
        kid = jwt.get_unverified_header(token).get("kid")
        for key in self._tool_keys()["keys"]:
            if key.get("kid") == kid:
                return jwt.decode(token, jwt.PyJWK(key).key, algorithms=["RS256"],
                                  audience=audience)
        raise jwt.InvalidTokenError(f"no tool key {kid!r}")


def _handler(platform):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, status, body=b"", content_type="application/json", headers=None):
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
            elif isinstance(body, str):
                body = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _body(self):
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _authorized(self):
            auth = self.headers.get("Authorization", "")
            return auth.startswith("Bearer ") and auth[7:] in platform.tokens

        def do_GET(self):  # noqa: N802
            parts = urlsplit(self.path)
            if parts.path == "/jwks":
                return self._send(200, platform.jwks())
            if parts.path == "/auth":
                return self._auth(parse_qs(parts.query))
            if parts.path == "/course":
                return self._send(200, (
                    "<!doctype html><html lang=en><title>Test LMS course</title>"
                    "<h1>NURS 210 in the Test LMS</h1>"
                    '<iframe id="tool" title="Clonazepam module" '
                    f'src="{html.escape(platform.iframe_src)}" width="1000" height="700"></iframe>'
                ), "text/html")
            if platform.down:
                return self._send(503, {"error": "down"})
            if not self._authorized():
                return self._send(401, {"error": "unauthorized"})
            if parts.path == "/memberships":
                return self._send(200, {
                    "id": platform.url + "/memberships",
                    "context": {"id": "lms-course-1", "title": "NURS 210"},
                    "members": platform.members,
                }, "application/vnd.ims.lti-nrps.v2.membershipcontainer+json")
            if parts.path == "/lineitems":
                return self._send(200, list(platform.line_items.values()),
                                  "application/vnd.ims.lis.v2.lineitemcontainer+json")
            return self._send(404, {"error": "not found"})

        def _auth(self, query):
            """The OIDC auth endpoint: an auto-posting form back to the tool."""
            hint = query.get("login_hint", [""])[0]
            claims = dict(platform.logins[hint])
            claims["nonce"] = query["nonce"][0]
            token = platform.sign(claims)
            page = (
                "<!doctype html><html lang=en><title>Launching</title>"
                f'<form id="f" method="post" action="{html.escape(query["redirect_uri"][0])}">'
                f'<input type="hidden" name="id_token" value="{token}">'
                f'<input type="hidden" name="state" value="{html.escape(query["state"][0])}">'
                '<button type="submit">Continue</button></form>'
                "<script>document.getElementById('f').submit()</script>"
            )
            return self._send(200, page, "text/html")

        def do_POST(self):  # noqa: N802
            path = urlsplit(self.path).path
            body = self._body()
            if path == "/deep-link-return":
                form = parse_qs(body.decode())
                platform.deep_link_responses.append(form.get("JWT", [""])[0])
                return self._send(200, "<!doctype html><title>Added</title><h1>Added</h1>",
                                  "text/html")
            if platform.down:
                return self._send(503, {"error": "down"})
            if path == "/token":
                return self._token(parse_qs(body.decode()))
            if not self._authorized():
                return self._send(401, {"error": "unauthorized"})
            if path == "/lineitems":
                item = json.loads(body)
                item_id = f"{platform.url}/lineitems/made-{len(platform.line_items) + 1}"
                platform.line_items[item_id] = {**item, "id": item_id}
                return self._send(201, platform.line_items[item_id],
                                  "application/vnd.ims.lis.v2.lineitem+json")
            if path.startswith("/lineitems/") and path.endswith("/scores"):
                if self.headers.get("Content-Type") != "application/vnd.ims.lis.v1.score+json":
                    return self._send(415, {"error": "score media type expected"})
                platform.scores.append((path, json.loads(body), self.headers["Authorization"]))
                return self._send(200, {})
            return self._send(404, {"error": "not found"})

        def _token(self, form):
            try:
                assert form["grant_type"] == ["client_credentials"]
                assert form["client_assertion_type"] == [
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"]
                claims = platform.verify_tool_jwt(
                    form["client_assertion"][0], audience=platform.url + "/token")
                assert claims["iss"] == claims["sub"] == platform.client_id
            except (AssertionError, KeyError, jwt.InvalidTokenError) as exc:
                return self._send(400, {"error": "invalid_client", "detail": repr(exc)})
            platform.token_requests.append(claims)
            token = secrets.token_urlsafe(16)
            platform.tokens.add(token)
            return self._send(200, {"access_token": token, "token_type": "Bearer",
                                    "expires_in": 3600, "scope": form.get("scope", [""])[0]})

    return Handler


def new_nonce():
    return uuid.uuid4().hex
