"""``attestd submit`` against a real server, and the client's own rules without one.

The end-to-end tests run the test app under uvicorn on loopback, with the local
test Sigstore as its trust root, and run ``attestd submit`` in-process. The
retry and judging rules are also tested on ``app.client`` directly, through
``httpx.MockTransport``.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from attestd_client import submit as client
from attestd_client.errors import TokenMissing

from app.config import Settings
from tests.attestations.submissions import register
from tests.builders.services import REPOSITORY, SERVICE
from tests.cli_runner import heavy_modules_after
from tests.servers import LiveServer, serve_in_thread
from tests.sigstore_local import (
    BundleVersion,
    LocalSigstore,
    SignerIdentity,
    dsse_bundle,
    message_signature_bundle,
    statement,
)

INPUTS = Path(__file__).parent / "submit_inputs"
SBOM_FILES = Path(__file__).parents[1] / "sboms" / "files"
TOKEN_ENV = "ATTESTD_SUBMIT_TEST_TOKEN"
RELEASE = SignerIdentity.github_workflow(REPOSITORY, ref="refs/tags/v1.0.0")
STRANGER = SignerIdentity.github_workflow("acme/other", ref="refs/tags/v1.0.0")
ARTIFACT_BYTES = b"payments-1.0.0-py3-none-any.whl, as built"
ARTIFACT = hashlib.sha256(ARTIFACT_BYTES).digest()
ARTIFACT_DIGEST = "sha256:" + ARTIFACT.hex()
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")


@pytest.fixture
def settings(settings: Settings, local_root_file: Path) -> Settings:
    return settings.model_copy(
        update={"trust_roots": (local_root_file,), "max_body_bytes": 64 * 1024}
    )


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
def service(live_server: LiveServer, admin_headers) -> str:
    with httpx.Client(base_url=live_server.base_url, timeout=live_server.timeout) as http:
        register(http, admin_headers)
    return SERVICE


@pytest.fixture
def pipeline_token(make_token, clean_environment: pytest.MonkeyPatch) -> str:
    token = make_token("pipeline", name="release-job")
    clean_environment.setenv(TOKEN_ENV, token)
    return token


@pytest.fixture
def submit(cli, live_server: LiveServer, pipeline_token: str):
    """``run(*args, server=, service=)``: ``attestd submit`` with the pipeline token's variable.

    Every run is checked for the one thing it must never do: print the token.
    """

    def run(*args: str, server: str | None = None, service: str = SERVICE):
        result = cli(
            "submit",
            "--server",
            server or live_server.base_url,
            "--token-env",
            TOKEN_ENV,
            "--service",
            service,
            "--retries",
            "1",
            "--retry-delay",
            "0.01",
            "--timeout",
            "10",
            *args,
        )
        assert pipeline_token not in result.out
        assert pipeline_token not in result.err
        return result

    return run


@pytest.fixture
def quiet_port() -> Iterator[tuple[str, socket.socket]]:
    """A loopback port that listens and never answers; ``no_connection`` proves it untouched."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.setblocking(False)  # noqa: FBT003 - the socket API
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", listener


def no_connection(listener: socket.socket) -> bool:
    try:
        connection, _ = listener.accept()
    except BlockingIOError:
        return True
    connection.close()
    return False


def closed_port() -> str:
    """The URL of a loopback port nobody listens on: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def cyclonedx(digest: bytes = ARTIFACT, name: str = "payments") -> bytes:
    """A small CycloneDX 1.6 SBOM whose subject is the artifact ``digest``."""
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {
            "component": {
                "type": "application",
                "name": name,
                "version": "1.0.0",
                "hashes": [{"alg": "SHA-256", "content": digest.hex()}],
            }
        },
        "components": [
            {
                "type": "library",
                "name": "requests",
                "version": "2.32.3",
                "purl": "pkg:pypi/requests@2.32.3",
            }
        ],
    }
    return json.dumps(document, indent=2).encode()


def write(folder: Path, name: str, content: bytes) -> str:
    path = folder / name
    path.write_bytes(content)
    return str(path)


@pytest.fixture
def release(tmp_path: Path, local_sigstore: LocalSigstore) -> dict[str, str]:
    """The files a release job has: an SBOM, a signature and a provenance attestation."""
    return {
        "sbom": write(tmp_path, "payments.cdx.json", cyclonedx()),
        "signature": write(
            tmp_path,
            "payments.whl.sigstore.json",
            message_signature_bundle(local_sigstore, ARTIFACT, signer=RELEASE).content,
        ),
        "provenance": write(
            tmp_path,
            "provenance.sigstore.json",
            dsse_bundle(
                local_sigstore,
                statement({"payments-1.0.0-py3-none-any.whl": ARTIFACT}),
                signer=RELEASE,
            ).content,
        ),
    }


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


# --- accepted ---------------------------------------------------------------------------


def test_a_release_is_accepted_with_one_line_per_file(service, submit, release):
    result = submit(
        "--artifact",
        ARTIFACT_DIGEST,
        "--bundle",
        release["signature"],
        "--bundle",
        release["provenance"],
        "--sbom",
        release["sbom"],
    )
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert len(lines) == 3
    # SBOMs go first, whatever the order of the options.
    assert lines[0].startswith(f"sbom {release['sbom']}: 201 created id=")
    assert f"digest={client.load_sbom(Path(release['sbom'])).sha256}" in lines[0]
    assert "format=cyclonedx-json" in lines[0]
    assert f"artifact={ARTIFACT_DIGEST}" in lines[0]
    for line, name, kind in (
        (lines[1], "signature", "signature"),
        (lines[2], "provenance", "attestation"),
    ):
        assert line.startswith(f"bundle {release[name]}: 201 created id=")
        assert f"kind={kind}" in line
        assert f"signer={RELEASE.identity}" in line
        assert f"issuer={RELEASE.issuer}" in line
        assert " tlog=" in line
    assert "3 files: 3 accepted (3 created, 0 already stored); exit 0" in result.err


def test_the_same_files_again_are_already_stored(service, submit, release):
    args = ("--sbom", release["sbom"], "--bundle", release["signature"])
    first = submit("--artifact", ARTIFACT_DIGEST, *args)
    assert first.code == 0, first.err
    again = submit("--artifact", ARTIFACT_DIGEST, *args)
    assert again.code == 0, again.err
    assert [line.split(" id=")[0] for line in again.out.splitlines()] == [
        f"sbom {release['sbom']}: 200 already stored",
        f"bundle {release['signature']}: 200 already stored",
    ]
    # The same records: every field as the first time, the id and digest included.
    assert again.out == first.out.replace(": 201 created ", ": 200 already stored ")
    assert "2 accepted (0 created, 2 already stored); exit 0" in again.err


def test_the_sbom_content_type_follows_the_content(service, submit, tmp_path):
    xml = (SBOM_FILES / "cyclonedx-1.6.xml").read_bytes()
    spdx = (SBOM_FILES / "spdx-2.3.json").read_bytes()
    files = [
        write(tmp_path, "bom.xml", xml),
        write(tmp_path, "bom.spdx", spdx),
        write(tmp_path, "bom.json", cyclonedx()),
        write(tmp_path, "bom.spdx3.json", (SBOM_FILES / "spdx-3.0.1.json").read_bytes()),
        write(tmp_path, "bom.tv", (SBOM_FILES / "spdx-2.3.spdx").read_bytes()),
    ]
    result = submit(
        "--json", "--artifact", ARTIFACT_DIGEST, *(arg for f in files for arg in ("--sbom", f))
    )
    assert result.code == 0, result.err
    records = json_lines(result.out)
    assert [r["content_type"] for r in records] == [
        "application/vnd.cyclonedx+xml",
        "application/spdx+json",
        "application/vnd.cyclonedx+json",
        "application/spdx+json",
        "text/spdx",
    ]
    # What the server stored is what was sent, under that content type.
    assert [r["record"]["media_type"] for r in records] == [r["content_type"] for r in records]
    assert [r["record"]["format"] for r in records] == [
        "cyclonedx-xml",
        "spdx-json",
        "cyclonedx-json",
        "spdx-jsonld",
        "spdx-tag-value",
    ]


def test_json_lines_carry_the_record_of_each_file(service, submit, release):
    result = submit("--json", "--sbom", release["sbom"], "--bundle", release["signature"])
    assert result.code == 0, result.err
    sbom, signature = json_lines(result.out)
    assert sbom["file"] == release["sbom"]
    assert sbom["kind"] == "sbom"
    assert sbom["outcome"] == "created"
    assert sbom["status"] == 201
    assert sbom["exit_code"] == 0
    assert sbom["attempts"] == 1
    assert sbom["digest"] == sbom["sha256"] == sbom["record"]["digest"]
    assert sbom["id"] == sbom["record"]["id"]
    # Without --artifact the SBOM's subject names the artifact.
    assert sbom["record"]["artifact"] == {"digest": ARTIFACT_DIGEST}
    assert sbom["problem"] is None
    assert signature["kind"] == "bundle"
    assert signature["content_type"] == BundleVersion.V0_3.value
    assert signature["record"]["kind"] == "signature"
    assert signature["record"]["receipt"]["verified"] is True
    assert signature["record"]["receipt"]["signer"]["subject"] == RELEASE.identity
    assert signature["record"]["subjects"] == [{"name": None, "digest": ARTIFACT_DIGEST}]


def test_every_bundle_version_goes_with_its_own_media_type(
    service, submit, tmp_path, local_sigstore
):
    files = []
    for version in BundleVersion:
        built = message_signature_bundle(
            local_sigstore,
            hashlib.sha256(version.name.encode()).digest(),
            signer=RELEASE,
            version=version,
        )
        files.append(write(tmp_path, f"{version.name}.sigstore.json", built.content))
    result = submit("--json", *(arg for f in files for arg in ("--bundle", f)))
    assert result.code == 0, result.err
    records = json_lines(result.out)
    assert [r["content_type"] for r in records] == [v.value for v in BundleVersion]
    assert [r["record"]["media_type"] for r in records] == [v.value for v in BundleVersion]


# --- refused: exit 1 ----------------------------------------------------------------------


def test_a_bundle_of_another_repository_is_refused_with_its_reasons(
    service, submit, release, tmp_path, local_sigstore
):
    foreign = write(
        tmp_path,
        "foreign.sigstore.json",
        message_signature_bundle(local_sigstore, ARTIFACT, signer=STRANGER).content,
    )
    result = submit(
        "--sbom",
        release["sbom"],
        "--bundle",
        foreign,
        "--bundle",
        release["signature"],
    )
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0].startswith(f"sbom {release['sbom']}: 201 created")
    assert lines[1] == (
        f"bundle {foreign}: 422 refused: Bundle failed verification: "
        "The bundle was refused; see reasons."
    )
    reasons = [line for line in lines[2:] if line.startswith("  - ")]
    assert reasons
    assert reasons[0].startswith("  - identity-mismatch: ")
    assert STRANGER.identity in reasons[0]
    # The run went on after the refusal.
    assert lines[-1].startswith(f"bundle {release['signature']}: 201 created")
    assert "3 files: 2 accepted (2 created, 0 already stored), 1 refused; exit 1" in result.err


def test_the_refusal_as_json(service, submit, tmp_path, local_sigstore):
    foreign = write(
        tmp_path,
        "foreign.sigstore.json",
        message_signature_bundle(local_sigstore, ARTIFACT, signer=STRANGER).content,
    )
    result = submit("--json", "--bundle", foreign)
    assert result.code == 1
    (refused,) = json_lines(result.out)
    assert refused["outcome"] == "refused"
    assert refused["status"] == 422
    assert refused["exit_code"] == 1
    assert refused["record"] is None
    assert refused["problem"]["slug"] == "bundle-rejected"
    assert refused["problem"]["title"] == "Bundle failed verification"
    assert refused["problem"]["reasons"][0].startswith("identity-mismatch: ")


@pytest.mark.parametrize(
    ("name", "kind", "status"),
    [
        ("bad-component-without-name.cdx.json", "sbom", 422),
        ("bad-not-cyclonedx.xml", "sbom", 422),
        ("bad-unknown-bundle-version.sigstore.json", "bundle", 415),
        ("bad-not-json.sigstore.json", "bundle", 400),
    ],
)
def test_a_bad_file_is_refused_and_the_others_still_go(
    service, submit, release, name, kind, status
):
    bad = str(INPUTS / name)
    result = submit("--json", f"--{kind}", bad, "--bundle", release["signature"])
    assert result.code == 1, result.out + result.err
    refused, accepted = json_lines(result.out)
    assert refused["file"] == bad
    assert refused["outcome"] == "refused"
    assert refused["status"] == status
    assert refused["problem"]["title"]
    assert refused["problem"]["detail"]
    assert accepted["outcome"] == "created"


def test_a_refused_sbom_prints_title_detail_and_reasons(service, submit):
    bad = str(INPUTS / "bad-component-without-name.cdx.json")
    result = submit("--artifact", ARTIFACT_DIGEST, "--sbom", bad)
    assert result.code == 1
    head, *rest = result.out.splitlines()
    assert head.startswith(f"sbom {bad}: 422 refused: ")
    assert rest
    assert all(line.startswith("  - ") for line in rest)


def test_an_sbom_over_the_size_limit_is_refused(service, submit, tmp_path):
    padding = [{"type": "library", "name": f"pkg-{i:06d}", "version": "1"} for i in range(3000)]
    document = json.loads(cyclonedx())
    document["components"] = padding
    big = write(tmp_path, "big.cdx.json", json.dumps(document).encode())
    assert Path(big).stat().st_size > 64 * 1024
    result = submit("--json", "--sbom", big)
    assert result.code == 1, result.out + result.err
    (refused,) = json_lines(result.out)
    assert refused["status"] == 413
    assert refused["attempts"] == 1


# --- usage errors: exit 2, nothing sent --------------------------------------------------


def test_a_missing_token_variable_is_a_configuration_error_and_nothing_is_sent(
    cli, clean_environment, quiet_port, release
):
    url, listener = quiet_port
    clean_environment.delenv(TOKEN_ENV, raising=False)
    result = cli(
        "submit", "--server", url, "--token-env", TOKEN_ENV, "--service", SERVICE,
        "--sbom", release["sbom"],
    )  # fmt: skip
    assert result.code == 3
    assert f"the environment variable {TOKEN_ENV} is not set" in result.err
    assert "nothing was sent" in result.err
    assert result.out == ""
    assert no_connection(listener)


def test_an_empty_token_variable_is_a_configuration_error(
    cli, clean_environment, quiet_port, release
):
    url, listener = quiet_port
    clean_environment.setenv(TOKEN_ENV, "  \n")
    result = cli(
        "submit", "--server", url, "--token-env", TOKEN_ENV, "--service", SERVICE,
        "--sbom", release["sbom"],
    )  # fmt: skip
    assert result.code == 3
    assert f"the environment variable {TOKEN_ENV} is empty" in result.err
    assert no_connection(listener)


def test_a_token_given_as_the_variable_name_is_not_repeated(
    cli, clean_environment, quiet_port, release, make_token
):
    url, listener = quiet_port
    token = make_token("pipeline")
    result = cli(
        "submit", "--server", url, "--token-env", token, "--service", SERVICE,
        "--sbom", release["sbom"],
    )  # fmt: skip
    assert result.code == 2
    assert "--token-env takes the NAME of an environment variable" in result.err
    assert token not in result.err
    assert token not in result.out
    assert no_connection(listener)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sbom", "{missing}"], "--sbom {missing}: cannot read it: No such file or directory"),
        (["--bundle", "{folder}"], "--bundle {folder}: cannot read it: Is a directory"),
        (
            ["--sbom", "{inputs}/bad-not-an-sbom.json"],
            "--sbom {inputs}/bad-not-an-sbom.json: cannot tell the SBOM format: its JSON has "
            'neither "bomFormat": "CycloneDX", "spdxVersion" nor an SPDX 3 "@context"',
        ),
        (
            ["--sbom", "{inputs}/bad-neither-json-nor-xml.txt"],
            "--sbom {inputs}/bad-neither-json-nor-xml.txt: cannot tell the SBOM format: it is "
            "neither XML nor valid JSON",
        ),
        (
            ["--sbom", "{inputs}/bad-truncated.cdx.json"],
            "--sbom {inputs}/bad-truncated.cdx.json: cannot tell the SBOM format",
        ),
        (
            ["--sbom", "{good}", "--artifact", "sha256:abc"],
            '--artifact "sha256:abc" is not sha256:<64 hex digits> or sha512:<128 hex digits>',
        ),
        (["--artifact", ARTIFACT_DIGEST], "nothing to send"),
        (["--sbom", "{good}", "--service", "Payments!"], '--service "Payments!" is not'),
        (["--sbom", "{good}", "--timeout", "0"], "--timeout must be more than 0 seconds"),
        (["--sbom", "{good}", "--retries", "-1"], "--retries must be 0 or more"),
        (["--sbom", "{good}", "--ca-bundle", "{missing}"], "--ca-bundle {missing}: no such file"),
        (
            ["--sbom", "{good}", "--ca-bundle", "{good}"],
            "--ca-bundle {good}: not a PEM certificate bundle",
        ),
    ],
)
def test_bad_arguments_are_usage_errors_and_nothing_is_sent(
    cli, clean_environment, quiet_port, tmp_path, args, message
):
    url, listener = quiet_port
    clean_environment.setenv(TOKEN_ENV, "atd_" + "a" * 43)
    places = {
        "missing": str(tmp_path / "missing.json"),
        "folder": str(tmp_path),
        "inputs": str(INPUTS),
        "good": write(tmp_path, "good.cdx.json", cyclonedx()),
    }
    argv = ["--server", url, "--token-env", TOKEN_ENV, "--service", SERVICE]
    argv.extend(arg.format(**places) for arg in args)
    result = cli("submit", *argv)
    assert result.code == 2
    assert message.format(**places) in result.err
    assert result.out == ""
    assert no_connection(listener)


def test_one_bad_file_among_good_ones_stops_everything_before_sending(
    cli, clean_environment, quiet_port, release, tmp_path
):
    url, listener = quiet_port
    clean_environment.setenv(TOKEN_ENV, "atd_" + "a" * 43)
    result = cli(
        "submit", "--server", url, "--token-env", TOKEN_ENV, "--service", SERVICE,
        "--sbom", release["sbom"], "--bundle", release["signature"],
        "--bundle", str(tmp_path / "gone.sigstore.json"),
        "--sbom", str(INPUTS / "bad-not-an-sbom.json"),
    )  # fmt: skip
    assert result.code == 2
    # Every problem is listed, not only the first.
    assert "gone.sigstore.json: cannot read it" in result.err
    assert "bad-not-an-sbom.json: cannot tell the SBOM format" in result.err
    assert no_connection(listener)


@pytest.mark.parametrize(
    "server",
    [
        "ftp://127.0.0.1/",
        "127.0.0.1:8080",
        "http://",
        "http://127.0.0.1:99999",
        "http://127.0.0.1:0",
        "https://h/?x=1",
        "http://attestd .example",
        "http://attestd.example\n",
    ],
)
def test_the_server_must_be_an_http_url(cli, clean_environment, release, server):
    clean_environment.setenv(TOKEN_ENV, "atd_" + "a" * 43)
    result = cli(
        "submit", "--server", server, "--token-env", TOKEN_ENV, "--service", SERVICE,
        "--sbom", release["sbom"],
    )  # fmt: skip
    assert result.code == 2
    assert "--server" in result.err


def test_credentials_in_the_server_url_are_refused_without_repeating_them(
    cli, clean_environment, release
):
    clean_environment.setenv(TOKEN_ENV, "atd_" + "a" * 43)
    result = cli(
        "submit", "--server", "https://ci:hunter2@attestd.example", "--token-env", TOKEN_ENV,
        "--service", SERVICE, "--sbom", release["sbom"],
    )  # fmt: skip
    assert result.code == 2
    assert "--server must not hold credentials" in result.err
    assert "hunter2" not in result.err


def test_a_missing_required_option_is_an_argparse_usage_error(cli, release):
    with pytest.raises(SystemExit) as exited:
        cli("submit", "--server", "http://127.0.0.1:1", "--sbom", release["sbom"])
    assert exited.value.code == 2


def test_help_documents_every_exit_code(cli, capsys):
    with pytest.raises(SystemExit) as exited:
        cli("submit", "--help")
    assert exited.value.code == 0
    text = capsys.readouterr().out
    assert "--token-env VAR" in text
    epilog = text.split("exit codes", 1)[1]
    for code in client.ExitCode:
        assert f"\n  {int(code)}  " in epilog


# --- configuration: exit 3 ----------------------------------------------------------------


def test_a_wrong_token_is_a_configuration_error(
    service, cli, clean_environment, live_server, release
):
    wrong = "atd_" + "x" * 43
    clean_environment.setenv(TOKEN_ENV, wrong)
    result = cli(
        "submit", "--server", live_server.base_url, "--token-env", TOKEN_ENV,
        "--service", SERVICE, "--sbom", release["sbom"], "--bundle", release["signature"],
    )  # fmt: skip
    assert result.code == 3
    lines = result.out.splitlines()
    assert lines[0] == (
        f"sbom {release['sbom']}: 401 configuration error: Authentication required: "
        "A valid bearer token is required."
    )
    assert lines[1] == f"  hint: the token in {TOKEN_ENV} is unknown, revoked or malformed"
    # Every later file would get the same answer: it is not sent.
    assert lines[2] == (
        f"bundle {release['signature']}: not sent: the failure of {release['sbom']} stopped the run"
    )
    assert wrong not in result.out + result.err


def test_a_token_for_another_service_is_a_configuration_error(
    service, cli, clean_environment, live_server, release, make_token
):
    clean_environment.setenv(TOKEN_ENV, make_token("pipeline", name="other", services=("billing",)))
    result = cli(
        "submit", "--server", live_server.base_url, "--token-env", TOKEN_ENV,
        "--service", SERVICE, "--json", "--sbom", release["sbom"],
    )  # fmt: skip
    assert result.code == 3
    (line,) = json_lines(result.out)
    assert line["status"] == 403
    assert line["outcome"] == "configuration-error"


def test_an_unknown_service_is_a_configuration_error(service, submit, release):
    result = submit("--sbom", release["sbom"], service="inventory")
    assert result.code == 3
    head, hint = result.out.splitlines()
    assert head.startswith(f"sbom {release['sbom']}: 404 configuration error: ")
    assert (
        hint == "  hint: is the service inventory registered, and is --server the attestd base URL?"
    )


def test_a_server_url_that_is_not_attestd_is_a_configuration_error(
    service, submit, release, live_server
):
    result = submit("--sbom", release["sbom"], server=live_server.base_url + "/elsewhere")
    assert result.code == 3
    assert ": 404 configuration error: " in result.out


# --- server and transport failures: exit 4 -----------------------------------------------


def test_a_refused_connection_is_a_transport_failure_after_the_retries(submit, release):
    result = submit(
        "--json", "--sbom", release["sbom"], "--bundle", release["signature"], server=closed_port()
    )
    assert result.code == 4
    failed, skipped = json_lines(result.out)
    assert failed["outcome"] == "server-error"
    assert failed["status"] is None
    assert failed["attempts"] == 2
    assert failed["error"].startswith("cannot connect: ")
    assert failed["error"].endswith("(after 2 attempts)")
    assert skipped["outcome"] == "not-sent"
    assert skipped["attempts"] == 0
    assert skipped["exit_code"] == 4


def test_a_server_that_never_answers_times_out(cli, clean_environment, quiet_port, release):
    url, _ = quiet_port
    clean_environment.setenv(TOKEN_ENV, "atd_" + "a" * 43)
    result = cli(
        "submit", "--server", url, "--token-env", TOKEN_ENV, "--service", SERVICE,
        "--sbom", release["sbom"], "--timeout", "0.2", "--retries", "0",
    )  # fmt: skip
    assert result.code == 4
    assert result.out == (
        f"sbom {release['sbom']}: server error: no answer within 0.2 s (ReadTimeout)\n"
    )


class Unavailable:
    """ASGI front of the app: answers 503 to the first ``failures`` submissions."""

    def __init__(self, app: Any, failures: int) -> None:
        self.app = app
        self.failures = failures
        self.statuses: list[int] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/sboms"):
            await self.app(scope, receive, send)
            return
        if self.failures == 0:
            self.statuses.append(0)
            await self.app(scope, receive, send)
            return
        self.failures -= 1
        self.statuses.append(503)
        while (await receive()).get("more_body"):
            pass
        body = json.dumps(
            {"type": "about:blank", "title": "Service Unavailable", "status": 503}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"retry-after", b"0"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def test_a_503_is_retried_until_the_server_takes_the_file(
    app, service, cli, pipeline_token, release
):
    front = Unavailable(app, failures=2)
    with serve_in_thread(front) as flaky:
        result = cli(
            "submit", "--server", flaky.base_url, "--token-env", TOKEN_ENV, "--service", SERVICE,
            "--retries", "3", "--retry-delay", "0.01", "--json", "--sbom", release["sbom"],
        )  # fmt: skip
    assert result.code == 0, result.out + result.err
    (accepted,) = json_lines(result.out)
    assert accepted["outcome"] == "created"
    assert accepted["attempts"] == 3
    assert front.statuses == [503, 503, 0]


def test_a_503_that_lasts_is_a_server_failure(app, service, cli, pipeline_token, release):
    front = Unavailable(app, failures=10)
    with serve_in_thread(front) as flaky:
        result = cli(
            "submit", "--server", flaky.base_url, "--token-env", TOKEN_ENV, "--service", SERVICE,
            "--retries", "2", "--retry-delay", "0.01", "--sbom", release["sbom"],
        )  # fmt: skip
    assert result.code == 4
    head, error = result.out.splitlines()
    assert head == f"sbom {release['sbom']}: 503 server error: Service Unavailable"
    assert error == "  the server answered 503 Service Unavailable (after 3 attempts)"
    assert front.statuses == [503, 503, 503]


# --- the client's rules, without a server ------------------------------------------------


def plan(**changes: Any) -> client.Plan:
    evidence = client.Evidence(
        client.Kind.SBOM, Path("bom.json"), cyclonedx(), client.CYCLONEDX_JSON
    )
    values: dict[str, Any] = {
        "server": "https://attestd.example/base",
        "service": SERVICE,
        "artifact": ARTIFACT_DIGEST,
        "evidence": (evidence,),
        "token": "atd_" + "t" * 43,
        "token_env": TOKEN_ENV,
        "verify": True,
        "timeout": 5.0,
        "retry": client.RetryPolicy(retries=3, delay=0.5, max_delay=4.0),
    }
    values.update(changes)
    return client.Plan(**values)


def record_for(request: httpx.Request, **extra: Any) -> dict[str, Any]:
    return {"id": 1, "digest": "sha256:" + hashlib.sha256(request.content).hexdigest(), **extra}


class Script:
    """A mock transport answering each request with the next step: a response or an error."""

    def __init__(self, *steps: Any) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        if callable(step):
            return step(request)
        return step


def submit_with(script: Script, the_plan: client.Plan | None = None):
    sleeps: list[float] = []
    outcomes = client.submit_all(
        the_plan or plan(), transport=httpx.MockTransport(script), sleep=sleeps.append
    )
    return outcomes, sleeps


def created(request: httpx.Request) -> httpx.Response:
    return httpx.Response(201, json=record_for(request))


def test_the_request_carries_token_type_service_and_artifact():
    script = Script(created)
    (outcome,), _ = submit_with(script)
    assert outcome.verdict is client.Verdict.CREATED
    (request,) = script.requests
    assert request.method == "POST"
    assert request.url.path == "/base/v1/sboms"
    assert dict(request.url.params) == {"service": SERVICE, "artifact": ARTIFACT_DIGEST}
    assert request.headers["authorization"] == "Bearer atd_" + "t" * 43
    assert request.headers["content-type"] == client.CYCLONEDX_JSON
    assert request.content == cyclonedx()


def test_transient_answers_are_retried_with_growing_waits():
    script = Script(
        httpx.Response(503),
        httpx.Response(502),
        httpx.Response(504),
        created,
    )
    (outcome,), sleeps = submit_with(script)
    assert outcome.verdict is client.Verdict.CREATED
    assert outcome.attempts == 4
    assert sleeps == [0.5, 1.0, 2.0]


def test_retry_after_is_honoured_up_to_the_longest_wait():
    script = Script(
        httpx.Response(429, headers={"Retry-After": "2"}),
        httpx.Response(429, headers={"Retry-After": "3600"}),
        created,
    )
    (outcome,), sleeps = submit_with(script)
    assert outcome.exit_code is client.ExitCode.ACCEPTED
    assert sleeps == [2.0, 4.0]


def test_connection_failures_and_timeouts_are_retried():
    script = Script(
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("server disconnected"),
        created,
    )
    (outcome,), sleeps = submit_with(script)
    assert outcome.verdict is client.Verdict.CREATED
    assert len(sleeps) == 3


def test_retries_are_bounded_and_stop_the_run():
    evidence = plan().evidence * 2
    script = Script(*[httpx.Response(503)] * 4)
    outcomes, sleeps = submit_with(script, plan(evidence=evidence))
    first, second = outcomes
    assert first.verdict is client.Verdict.SERVER_ERROR
    assert first.attempts == 4
    assert first.error == "the server answered 503 Service Unavailable (after 4 attempts)"
    assert second.verdict is client.Verdict.NOT_SENT
    assert len(script.requests) == 4
    assert len(sleeps) == 3
    assert client.exit_code(outcomes) is client.ExitCode.SERVER


def test_a_500_is_not_retried_and_the_next_file_still_goes():
    evidence = plan().evidence * 2
    problem = {"title": "Internal server error", "detail": "boom", "status": 500}
    script = Script(
        httpx.Response(500, json=problem, headers={"content-type": "application/problem+json"}),
        created,
    )
    outcomes, sleeps = submit_with(script, plan(evidence=evidence))
    assert [o.verdict for o in outcomes] == [client.Verdict.SERVER_ERROR, client.Verdict.CREATED]
    assert outcomes[0].problem == client.Problem("Internal server error", "boom")
    assert sleeps == []
    assert client.exit_code(outcomes) is client.ExitCode.SERVER


def test_an_untrusted_certificate_is_configuration_and_not_retried():
    error = httpx.ConnectError("certificate verify failed")
    error.__cause__ = ssl.SSLCertVerificationError("self-signed certificate")
    (outcome,), sleeps = submit_with(Script(error))
    assert outcome.exit_code is client.ExitCode.CONFIGURATION
    assert "--ca-bundle" in (outcome.hint or "")
    assert sleeps == []


@pytest.mark.parametrize(
    ("response", "verdict", "code"),
    [
        (httpx.Response(201, text="<html>ok</html>"), "server-error", 4),
        (httpx.Response(200, json=[1, 2]), "server-error", 4),
        (httpx.Response(201, json={"id": 1, "digest": "sha256:" + "0" * 64}), "server-error", 4),
        (httpx.Response(202, json={}), "server-error", 4),
        (httpx.Response(302, headers={"Location": "https://x/"}), "configuration-error", 3),
        (httpx.Response(405, text="Method Not Allowed"), "configuration-error", 3),
        (httpx.Response(400, text="<html>bad</html>"), "refused", 1),
        (httpx.Response(409, json={"title": "Conflict", "detail": "x"}), "refused", 1),
    ],
)
def test_answers_are_judged(response, verdict, code):
    (outcome,), _ = submit_with(Script(response))
    assert outcome.verdict.value == verdict
    assert outcome.exit_code == code


def test_a_digest_the_server_did_not_compute_from_these_bytes_is_a_server_failure():
    wrong = "sha256:" + "0" * 64
    (outcome,), _ = submit_with(Script(httpx.Response(201, json={"id": 1, "digest": wrong})))
    assert outcome.error is not None
    assert f"the server recorded digest {wrong}" in outcome.error


def test_server_text_cannot_start_a_line_of_the_log():
    problem = {
        "title": "Bundle failed verification",
        "detail": "refused\n::error::forged",
        "reasons": ["identity-mismatch: the signer 'x\r\n::add-mask::y'"],
    }
    (outcome,), _ = submit_with(Script(httpx.Response(422, json=problem)))
    lines = client.describe(outcome)
    assert lines == [
        "sbom bom.json: 422 refused: Bundle failed verification: refused\\n::error::forged",
        "  - identity-mismatch: the signer 'x\\r\\n::add-mask::y'",
    ]


def test_the_summary_counts_each_outcome():
    evidence = plan().evidence * 3
    script = Script(
        created,
        lambda request: httpx.Response(200, json=record_for(request)),
        httpx.Response(422, json={"title": "t", "detail": "d"}),
    )
    outcomes, _ = submit_with(script, plan(evidence=evidence))
    assert client.summary(outcomes) == (
        "3 files: 2 accepted (1 created, 1 already stored), 1 refused; exit 1"
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'<?xml version="1.0"?><bom/>', client.CYCLONEDX_XML),
        (b"\xef\xbb\xbf  \n<bom/>", client.CYCLONEDX_XML),
        (b'{"bomFormat": "CycloneDX"}', client.CYCLONEDX_JSON),
        (b'{"spdxVersion": "SPDX-2.3"}', client.SPDX_JSON),
        (b'{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"}', client.SPDX_JSON),
        (b"SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n", client.SPDX_TAG_VALUE),
        (b"# generated by syft\n\nSPDXVersion: SPDX-2.2\n", client.SPDX_TAG_VALUE),
    ],
)
def test_the_sbom_type_is_read_from_the_content(content, expected):
    assert client.sbom_media_type(content) == expected


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"[]", "its JSON is not an object"),
        (b'{"bomFormat": "SPDX"}', 'neither "bomFormat": "CycloneDX", "spdxVersion" nor an'),
        (b'{"@context": "https://schema.org"}', 'nor an SPDX 3 "@context"'),
        (b"DocumentName: x\nSPDXVersion: SPDX-2.3\n", "neither XML nor valid JSON"),
        (b"\xff\xfe{", "neither XML nor valid JSON"),
        (b"[" * 100_000, "neither XML nor valid JSON"),
        (b"   ", "the file is empty"),
    ],
)
def test_an_sbom_of_no_known_type_says_why(content, why):
    with pytest.raises(ValueError, match=re.escape(why)):
        client.sbom_media_type(content)


def test_the_bundle_media_types_are_those_the_server_accepts():
    from app.attestations.bundles import BundleMediaType  # noqa: PLC0415

    assert {m.value for m in BundleMediaType} == client.BUNDLE_MEDIA_TYPES


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            b'{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}',
            BundleVersion.V0_3.value,
        ),
        (
            b'{"mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1"}',
            BundleVersion.V0_1.value,
        ),
        (b'{"mediaType": "text/plain"}', "application/json"),
        (b'{"mediaType": 3}', "application/json"),
        (b"[]", "application/json"),
        (b"not json", "application/json"),
    ],
)
def test_a_bundle_goes_with_its_own_media_type_or_as_json(content, expected):
    assert client.bundle_media_type(content) == expected


def test_plain_http_to_another_host_warns_about_the_token(tmp_path):
    options = client.SubmitOptions(
        server="http://attestd.internal:8080",
        token_env=TOKEN_ENV,
        service=SERVICE,
        sboms=(Path(write(tmp_path, "bom.json", cyclonedx())),),
    )
    prepared = client.prepare(options, {TOKEN_ENV: "atd_" + "a" * 43})
    assert prepared.warnings
    loopback = client.prepare(
        client.SubmitOptions(**{**options.__dict__, "server": "http://127.0.0.1:8080/"}),
        {TOKEN_ENV: "atd_" + "a" * 43},
    )
    assert loopback.warnings == ()
    assert loopback.server == "http://127.0.0.1:8080"


def test_a_token_with_characters_no_token_has_is_refused_unrepeated():
    with pytest.raises(TokenMissing) as refused:
        client.read_token(TOKEN_ENV, {TOKEN_ENV: "atd_secret value"})
    assert "secret" not in str(refused.value)


def test_run_writes_results_to_out_and_the_summary_to_err(tmp_path):
    options = client.SubmitOptions(
        server="https://attestd.example",
        token_env=TOKEN_ENV,
        service=SERVICE,
        sboms=(Path(write(tmp_path, "bom.json", cyclonedx())),),
        json_lines=True,
    )
    out, err = io.StringIO(), io.StringIO()
    code = client.run(
        options,
        environ={TOKEN_ENV: "atd_" + "a" * 43},
        out=out,
        err=err,
        transport=httpx.MockTransport(created),
    )
    assert code == 0
    (line,) = json_lines(out.getvalue())
    assert line["outcome"] == "created"
    assert (
        err.getvalue()
        == "attestd submit: 1 file: 1 accepted (1 created, 0 already stored); exit 0\n"
    )


def test_submit_loads_no_server_code(tmp_path):
    """``attestd submit`` starts without sigstore, FastAPI, uvicorn or the app's routes."""
    sbom = write(tmp_path, "bom.json", cyclonedx())
    argv = ["submit", "--server", "http://127.0.0.1:9", "--token-env", "ATTESTD_SUBMIT_UNSET"]
    argv += ["--service", "s", "--sbom", str(sbom)]
    assert heavy_modules_after(argv, "ATTESTD_SUBMIT_UNSET") == "3 [] False"
