"""``attestd verdict`` against a real server: the deploy gate as a deploy job meets it.

The test app runs under uvicorn on loopback, with the local test Sigstore as
its trust root. ``payments`` is built up to level 4 through that server, as
tests/scoring/release_pipeline.py builds it, and ``attestd verdict`` then runs
in-process with a pipeline token limited to ``payments`` in its variable, and
checks the summary with the key the server publishes unless a test says not to.

The attacks on the summary come last: each is played against the real server
(or a man in the middle in front of it) and fails, next to the legitimate run
that still passes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from attestd_client import verdict as verdict_client
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.auth.credentials import Role
from app.clock import utcnow
from app.config import Settings
from app.main import create_app
from app.scoring.vsa import GATE_FIELD, open_summary
from app.signing import PublicKey, ServiceKey, load_or_create_service_key
from tests.builders.bundles import DIGEST, DIGEST_HEX, NAME
from tests.builders.identities import REBUILDER
from tests.builders.services import SERVICE
from tests.cli_runner import CliResult
from tests.sboms.uploads import audit_events
from tests.scoring.release_pipeline import Pipeline, up_to
from tests.servers import LiveServer, serve_in_thread

TOKEN_ENV = "ATTESTD_VERDICT_E2E_TOKEN"
VERIFY_OPTIONS = {"--key", "--key-url", "--key-id", "--no-verify-summary"}
UNKNOWN_DIGEST = "sha256:" + "3" * 64
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")
# Sigstore verification of each bundle happens inside the request.
REQUEST_TIMEOUT = 30.0


@pytest.fixture
def settings(settings: Settings, local_root_file: Path) -> Settings:
    return settings.model_copy(update={"trust_roots": (local_root_file,)})


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loopback requests go straight to the test server, whatever the shell's proxy says."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:
    with serve_in_thread(app) as server:
        yield server


@pytest.fixture
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    """What ``payments`` builds the service through: the live server, not an in-process client."""
    with httpx.Client(base_url=live_server.base_url, timeout=REQUEST_TIMEOUT) as http:
        yield http


@pytest.fixture
def level_4(payments: Pipeline) -> Pipeline:
    assert up_to(payments, 4)["level"] == 4
    return payments


@pytest.fixture
def key_file(client: httpx.Client, tmp_path: Path) -> Path:
    """The public key GET /v1/keys publishes, as a deploy job would save it."""
    (published,) = client.get("/v1/keys").json()["keys"]
    path = tmp_path / "attestd.pub"
    path.write_text(published["public_key_pem"], encoding="ascii")
    return path


@pytest.fixture
def verdict(
    cli: Callable[..., CliResult],
    live_server: LiveServer,
    make_token: Callable[..., str],
    clean_environment: pytest.MonkeyPatch,
    level_4: Pipeline,
    key_file: Path,
) -> Callable[..., CliResult]:
    """``run(*args, server=, check_key=True)``: ``attestd verdict`` with a deploy job's token.

    Unless ``args`` say how to verify the summary, it is checked with ``key_file``
    (``check_key=False`` leaves that out). Every run is checked for the one thing
    it must never do: print the token.
    """
    token = make_token(Role.PIPELINE, name="deploy-job", services=(SERVICE,))
    clean_environment.setenv(TOKEN_ENV, token)

    def run(*args: str, server: str | None = None, check_key: bool = True) -> CliResult:
        if "--digest" not in args:
            args = ("--digest", DIGEST, *args)
        if check_key and not VERIFY_OPTIONS & set(args):
            args = (*args, "--key", str(key_file))
        result = cli(
            "verdict",
            "--server",
            server or live_server.base_url,
            "--token-env",
            TOKEN_ENV,
            "--timeout",
            str(REQUEST_TIMEOUT),
            *args,
        )
        assert token not in result.out
        assert token not in result.err
        return result

    return run


def opened(path: Path, key_file: Path) -> dict[str, Any]:
    """The statement of the VSA in ``path``, once it verifies with the key in ``key_file``."""
    return open_summary(json.loads(path.read_bytes()), PublicKey.from_pem(key_file.read_bytes()))


def test_production_allows_level_4_with_a_vsa_that_verifies(verdict, key_file, tmp_path):
    target = tmp_path / "vsa.intoto.json"
    result = verdict(
        "--environment", "production", "--vsa-out", str(target), "--key", str(key_file)
    )
    assert result.code == 0, result.err
    assert result.out == f"allow {DIGEST} production level 4 (Improve)\n"
    assert f"the VSA verifies with {key_file}" in result.err
    assert f"wrote the VSA to {target}" in result.err
    assert "warning" not in result.err  # loopback: the token does not cross a network
    statement = opened(target, key_file)
    assert statement["subject"] == [{"name": NAME, "digest": {"sha256": DIGEST_HEX}}]
    predicate = statement["predicate"]
    assert predicate["verificationResult"] == "PASSED"
    assert predicate["verifiedLevels"] == [
        "SLSA_BUILD_LEVEL_3",
        *(f"ATTESTD_MATURITY_LEVEL_{level}" for level in range(1, 5)),
    ]


def test_the_json_answer_is_the_servers_and_its_vsa_is_the_one_written(verdict, tmp_path):
    target = tmp_path / "vsa.json"
    result = verdict("--json", "--vsa-out", str(target))
    assert result.code == 0, result.err
    answer = json.loads(result.out)
    assert (answer["decision"], answer["environment"], answer["level"]) == (
        "allow",
        "production",
        4,
    )
    assert answer["service"] == SERVICE
    assert isinstance(answer["audit_index"], int)
    assert json.loads(target.read_text(encoding="utf-8")) == answer["vsa"]


def test_a_stricter_policy_denies_with_reasons_and_the_failed_vsa_is_kept(
    verdict, level_4, key_file, tmp_path
):
    level_4.policy(environments={"production": 5, "staging": 2})
    target = tmp_path / "vsa.json"
    result = verdict(
        "--environment", "production", "--vsa-out", str(target), "--key", str(key_file)
    )
    assert result.code == 1, result.err
    lines = result.out.splitlines()
    assert lines[0] == f"deny {DIGEST} production level 4 (Improve)"
    assert lines[1].startswith("  - required-level: production needs level 5")
    assert any(line.startswith("  - reproducible: ") for line in lines[2:])
    assert f"wrote the VSA to {target}" in result.err
    predicate = opened(target, key_file)["predicate"]
    assert predicate["verificationResult"] == "FAILED"
    assert predicate["verifiedLevels"] == ["FAILED"]

    staging = verdict("--environment", "staging", "--key", str(key_file))
    assert staging.code == 0, staging.err
    assert staging.out == f"allow {DIGEST} staging level 4 (Improve)\n"


def test_a_digest_attestd_knows_nothing_of_is_denied_without_a_vsa(verdict, key_file, tmp_path):
    target = tmp_path / "vsa.json"
    result = verdict("--digest", UNKNOWN_DIGEST, "--vsa-out", str(target), "--key", str(key_file))
    assert result.code == 1, result.err
    assert result.out.splitlines() == [
        f"deny {UNKNOWN_DIGEST} production: unknown to attestd (no evidence recorded)",
        f"  - artifact-unknown: {UNKNOWN_DIGEST}",
    ]
    assert f"nothing was written to {target}" in result.err
    assert not target.exists()


def test_an_environment_the_policy_does_not_name_is_a_configuration_error(verdict, tmp_path):
    target = tmp_path / "vsa.json"
    result = verdict("--environment", "moon", "--vsa-out", str(target))
    assert result.code == 3
    assert result.out == ""
    assert result.err.startswith("attestd verdict: 422 ")
    assert "names no environment 'moon'; it names production, staging" in result.err
    assert "  - unknown-environment: moon" in result.err
    assert not target.exists()


def test_a_wrong_server_path_is_a_configuration_error_not_a_denial(verdict, live_server):
    result = verdict(server=f"{live_server.base_url}/not-attestd")
    assert result.code == 3
    assert result.out == ""
    assert result.err.startswith("attestd verdict: 404 ")
    assert "is --server the attestd base URL?" in result.err


def test_a_vsa_checked_with_another_key_is_not_trusted(verdict, tmp_path):
    other = tmp_path / "other.pub"
    other.write_text(ServiceKey(Ed25519PrivateKey.generate()).public.pem, encoding="ascii")
    target = tmp_path / "vsa.json"
    result = verdict("--vsa-out", str(target), "--key", str(other))
    assert result.code == 4
    assert result.out == ""
    assert f"the verification summary does not verify with {other}: " in result.err
    assert "the answer is not trusted" in result.err
    assert not target.exists()


# --- attacks on the summary -----------------------------------------------------------------


class StagingForProduction(httpx.BaseTransport):
    """A man in the middle: asks about staging when production is asked, and answers production.

    Everything else passes through to the real server.
    """

    def __init__(self) -> None:
        self.network = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != "/v1/verdicts":
            return self.network.handle_request(request)
        asked = {**json.loads(request.content), "environment": "staging"}
        headers = [(k, v) for k, v in request.headers.items() if k.lower() != "content-length"]
        forwarded = httpx.Request("POST", request.url, headers=headers, json=asked)
        answer = self.network.handle_request(forwarded)
        answer.read()
        return httpx.Response(
            answer.status_code, json={**answer.json(), "environment": "production"}
        )


@contextmanager
def client_with(**injected: Any) -> Iterator[None]:
    """Runs of ``attestd verdict`` in the block get ``injected`` (a transport, a clock)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(verdict_client, "run", partial(verdict_client.run, **injected))
        yield


def test_a_staging_summary_cannot_pass_for_production(verdict, level_4):
    """Before, the summary did not name its environment: a staging allow, relabelled by a man in
    the middle, passed a production gate that checked the signature."""
    level_4.policy(environments={"production": 5, "staging": 2})
    assert verdict("--environment", "production").code == 1  # the honest answer: deny

    with client_with(transport=StagingForProduction()):
        result = verdict("--environment", "production")
        # Asking nothing, the default environment (production) is what the summary must name.
        unnamed = verdict()
    assert result.code == unnamed.code == 4
    assert result.out == ""
    assert 'it was issued for the environment "staging", not production' in result.err
    assert "the answer is not trusted" in result.err

    assert verdict("--environment", "staging").code == 0


def test_a_consumer_asking_for_level_4_finds_it_in_a_level_5_summary(
    verdict, level_4, key_file, tmp_path
):
    """Before, a level-5 summary listed ATTESTD_MATURITY_LEVEL_5 alone, and a consumer that
    looks for ATTESTD_MATURITY_LEVEL_4 refused a better artifact."""
    level_4.build("good-rebuild-service.json", REBUILDER)
    assert level_4.maturity()["level"] == 5
    target = tmp_path / "vsa.json"
    result = verdict("--environment", "production", "--vsa-out", str(target))
    assert result.code == 0, result.err
    predicate = opened(target, key_file)["predicate"]
    assert "ATTESTD_MATURITY_LEVEL_4" in predicate["verifiedLevels"]
    assert predicate["verifiedLevels"] == [
        "SLSA_BUILD_LEVEL_3",
        *(f"ATTESTD_MATURITY_LEVEL_{level}" for level in range(1, 6)),
    ]
    assert (predicate[GATE_FIELD]["requiredLevel"], predicate[GATE_FIELD]["level"]) == (4, 5)


def test_an_expired_summary_is_refused(verdict, tmp_path):
    """Before, a summary held forever: an allow recorded once could be replayed to every later
    deploy. Here the deploy step reads the server's answer two days late."""
    target = tmp_path / "vsa.json"
    with client_with(clock=lambda: utcnow() + timedelta(days=2)):
        result = verdict("--vsa-out", str(target))
    assert result.code == 4
    assert result.out == ""
    assert "is no longer valid: it expired at " in result.err
    assert not target.exists()

    assert verdict().code == 0


@pytest.fixture
def summary_server(settings, clock, tmp_path) -> Iterator[tuple[LiveServer, ServiceKey]]:
    """The same deployment, configured with a key of its own for summaries, on another port."""
    path = tmp_path / "vsa-key.pem"
    key, _ = load_or_create_service_key(path)
    configured = create_app(settings.model_copy(update={"vsa_key_file": path}), clock=clock)
    with serve_in_thread(configured) as server:
        yield server, key


def test_a_summary_signed_with_the_audit_key_is_refused_when_summaries_have_their_own(
    verdict, summary_server, live_server, settings
):
    """Before, one key signed checkpoints and summaries alike. With ATTESTD_VSA_KEY_FILE set, a
    summary under the audit key (a replica left without the setting) is not trusted, and the
    audit key is not taken for summaries."""
    server, summary_key = summary_server
    keys_url = f"{server.base_url}/v1/keys"
    by_url = ("--key-url", keys_url, "--key-id", summary_key.public.key_id)

    allowed = verdict(*by_url, server=server.base_url)
    assert allowed.code == 0, allowed.err
    assert f"the VSA verifies with the key {summary_key.public.key_id} of {keys_url}" in allowed.err

    replica = verdict(*by_url, server=live_server.base_url)
    assert replica.code == 4
    assert "the signature names the key" in replica.err

    audit_key = load_or_create_service_key(settings.signing_key_path)[0].public.key_id
    pinned_to_audit_key = verdict("--key-url", keys_url, "--key-id", audit_key)
    assert pinned_to_audit_key.code == 3
    assert "is published for audit-checkpoints, not for verification-summaries" in (
        pinned_to_audit_key.err
    )


def test_a_deploy_step_that_forgot_the_key_is_refused(verdict, run_in_session):
    """Before, a run without --key acted on any answer, signed or not, and said nothing."""
    leaves = len(audit_events(run_in_session))
    result = verdict(check_key=False)
    assert result.code == 2
    assert "no way to verify the signed summary: give --key FILE" in result.err
    assert "nothing was sent" in result.err
    assert len(audit_events(run_in_session)) == leaves  # no verdict was asked

    unchecked = verdict("--no-verify-summary")
    assert unchecked.code == 0
    assert "warning: --no-verify-summary" in unchecked.err
