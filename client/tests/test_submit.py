"""``submit`` against a scripted server: what each answer amounts to, retries, the text and the
JSON lines. No network: every request goes to an ``httpx.MockTransport``."""

from __future__ import annotations

import hashlib
import io
import json
import ssl
from pathlib import Path
from typing import Any

import httpx
import pytest
from builders import SERVER, TOKEN, Script, problem

from attestd_client import errors, submit
from attestd_client.transport import RetryPolicy

TOKEN_ENV = "ATTESTD_TOKEN"
SBOM = json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1}).encode()
BUNDLE = json.dumps({"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}).encode()
REFUSAL_REASONS = [
    "identity-mismatch: the signer is not allowed by the identity policy",
    "identity-mismatch: the signer is not allowed by the identity policy",
    "tlog: no inclusion proof",
]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    sbom, bundle = tmp_path / "bom.cdx.json", tmp_path / "app.sigstore.json"
    sbom.write_bytes(SBOM)
    bundle.write_bytes(BUNDLE)
    return {"sbom": sbom, "bundle": bundle}


def stored(status: int = 201, **fields: Any) -> Any:
    """An answer storing the bytes it was sent, as attestd records them."""

    def answer(request: httpx.Request) -> httpx.Response:
        digest = "sha256:" + hashlib.sha256(request.content).hexdigest()
        return httpx.Response(status, json={"id": 7, "digest": digest, **fields})

    return answer


def run(
    script: Script, files: dict[str, Path], *, json_lines: bool = False, retries: int = 3
) -> tuple[int, str, str, list[float]]:
    options = submit.SubmitOptions(
        server=SERVER,
        service="payments",
        sboms=(files["sbom"],),
        bundles=(files["bundle"],),
        json_lines=json_lines,
        retry=RetryPolicy(retries=retries, delay=0.5),
    )
    out, err = io.StringIO(), io.StringIO()
    sleeps: list[float] = []
    code = submit.run(
        options,
        environ={TOKEN_ENV: TOKEN},
        out=out,
        err=err,
        transport=script.transport,
        sleep=sleeps.append,
        name="attestd-client submit",
    )
    return code, out.getvalue(), err.getvalue(), sleeps


def test_both_files_stored_exit_0_and_go_where_they_belong(files: dict[str, Path]) -> None:
    script = Script(stored(201, format="cyclonedx-json"), stored(200, kind="signature"))
    code, out, err, _ = run(script, files)
    assert code == 0
    sbom_line, bundle_line = out.splitlines()
    assert sbom_line.startswith(f"sbom {files['sbom']}: 201 created id=7 digest=sha256:")
    assert bundle_line.startswith(f"bundle {files['bundle']}: 200 already stored id=7 ")
    assert (
        err == "attestd-client submit: 2 files: 2 accepted (1 created, 1 already stored); exit 0\n"
    )
    sbom_request, bundle_request = script.requests
    assert sbom_request.url.path == "/base/v1/sboms"
    assert sbom_request.headers["content-type"] == submit.CYCLONEDX_JSON
    assert bundle_request.url.path == "/base/v1/attestations"
    assert bundle_request.headers["content-type"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in script.requests)


def test_a_refused_bundle_exits_1_with_each_reason_once(files: dict[str, Path]) -> None:
    refusal = problem(
        422,
        "Bundle failed verification",
        "tlog: no inclusion proof",
        reasons=REFUSAL_REASONS,
        slug="bundle-rejected",
    )
    code, out, err, _ = run(Script(stored(), refusal), files)
    assert code == 1
    assert out.splitlines()[1:] == [
        f"bundle {files['bundle']}: 422 refused: Bundle failed verification: "
        "tlog: no inclusion proof",
        f"  - {REFUSAL_REASONS[0]}",
    ]
    assert "1 refused; exit 1" in err


def test_the_refusal_as_json_keeps_the_servers_problem_whole(files: dict[str, Path]) -> None:
    refusal = problem(422, "Bundle failed verification", "x", reasons=["a"], slug="bundle-rejected")
    code, out, _, _ = run(Script(stored(), refusal), files, json_lines=True)
    assert code == 1
    accepted, refused = (json.loads(line) for line in out.splitlines())
    assert accepted["outcome"] == "created"
    assert accepted["exit_code"] == 0
    assert refused["outcome"] == "refused"
    assert refused["exit_code"] == 1
    assert refused["problem"] == {
        "title": "Bundle failed verification",
        "detail": "x",
        "slug": "bundle-rejected",
        "reasons": ["a"],
    }


def test_transient_answers_are_retried_with_growing_waits(files: dict[str, Path]) -> None:
    script = Script(httpx.Response(503), httpx.Response(502), stored(), stored())
    code, _, _, sleeps = run(script, files)
    assert code == 0
    assert sleeps == [0.5, 1.0]


def test_retries_are_bounded_and_stop_the_run(files: dict[str, Path]) -> None:
    script = Script(*[httpx.Response(503)] * 3)
    code, out, _, sleeps = run(script, files, retries=2)
    assert code == 4
    assert len(script.requests) == 3
    assert sleeps == [0.5, 1.0]
    assert out.splitlines() == [
        f"sbom {files['sbom']}: 503 server error: Service Unavailable: the answer is not "
        "problem details (no content type)",
        "  the server answered 503 Service Unavailable (after 3 attempts)",
        f"bundle {files['bundle']}: not sent: the failure of {files['sbom']} stopped the run",
    ]


def test_transport_errors_are_retried_then_unreachable(files: dict[str, Path]) -> None:
    script = Script(httpx.ConnectError("refused"), httpx.ReadTimeout("slow"))
    code, out, _, _ = run(script, files, retries=1, json_lines=True)
    assert code == 4
    failed, skipped = (json.loads(line) for line in out.splitlines())
    assert failed["outcome"] == "server-error"
    assert failed["error"] == "no answer within 30 s (ReadTimeout) (after 2 attempts)"
    assert skipped["outcome"] == "not-sent"
    assert skipped["exit_code"] == 4


def test_an_untrusted_certificate_is_configuration_and_not_retried(files: dict[str, Path]) -> None:
    error = httpx.ConnectError("certificate verify failed")
    error.__cause__ = ssl.SSLCertVerificationError("self-signed certificate")
    script = Script(error)
    code, out, _, sleeps = run(script, files)
    assert code == 3
    assert sleeps == []
    assert "  hint: the server's certificate is not trusted; give its CA with --ca-bundle FILE" in (
        out.splitlines()
    )


@pytest.mark.parametrize(
    ("answer", "failure", "code", "stops"),
    [
        (problem(401, "Authentication required", "A valid bearer token is required."),
         errors.AccessDenied, 3, True),
        (problem(403, "Forbidden", "not for this service"), errors.AccessDenied, 3, True),
        (problem(404, "No such service", "no payments"), errors.NotFound, 3, True),
        (problem(405, "Method not allowed"), errors.RequestRefused, 3, True),
        (httpx.Response(308, headers={"location": "https://x/"}), errors.Redirected, 3, True),
        (problem(400, "Bad request", "x"), errors.EvidenceRefused, 1, False),
        (problem(409, "Conflict", "x"), errors.EvidenceRefused, 1, False),
        (problem(413, "Too large", "x"), errors.EvidenceRefused, 1, False),
        (problem(415, "Unsupported", "x"), errors.EvidenceRefused, 1, False),
        (problem(500, "Internal server error", "boom"), errors.ServerFailure, 4, False),
        (httpx.Response(201, text="<html>ok</html>"), errors.MalformedAnswer, 4, False),
        (httpx.Response(201, json={"id": 1, "digest": "sha256:" + "0" * 64}),
         errors.MalformedAnswer, 4, False),
        (httpx.Response(202, json={}), errors.MalformedAnswer, 4, True),
    ],
)  # fmt: skip
def test_each_answer_is_one_failure_with_its_exit_code(
    files: dict[str, Path],
    answer: httpx.Response,
    failure: type[errors.ClientError],
    code: int,
    stops: bool,
) -> None:
    plan = submit.prepare(
        submit.SubmitOptions(server=SERVER, service="payments", sboms=(files["sbom"],) * 2),
        {TOKEN_ENV: TOKEN},
    )
    script = Script(answer, stored())
    outcomes = submit.submit_all(plan, transport=script.transport, sleep=lambda _: None)
    first, second = outcomes
    assert type(first.failure) is failure
    assert first.exit_code == code == failure.exit_code
    assert (second.verdict is submit.Verdict.NOT_SENT) is stops
    assert submit.exit_code(outcomes) == code


def test_a_hint_names_the_token_variable_and_the_service(files: dict[str, Path]) -> None:
    code, out, _, _ = run(Script(problem(403, "Forbidden", "no")), files)
    assert code == 3
    assert "  hint: the token in ATTESTD_TOKEN needs the pipeline role and access to payments" in (
        out.splitlines()
    )


def test_server_text_cannot_start_a_line_of_the_log(files: dict[str, Path]) -> None:
    hostile = problem(422, "Refused\n::error::x", "d\r::warning::y", reasons=["a\n::set-output::b"])
    _, out, _, _ = run(Script(hostile, stored()), files)
    assert not any(line.lstrip().startswith("::") for line in out.splitlines())
