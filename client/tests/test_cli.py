"""The ``attestd-client`` command line: --version, help, defaults from the environment, the exit
code of a missing token in both commands, and argparse's refusals under ``verdict --json``."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest
from builders import DIGEST, TOKEN, Runner, Script, answer, public_pem
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from attestd_client.errors import ExitCode

ENV_SERVER = "https://attestd.from-env.example"
SBOM = b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1}'


@pytest.fixture
def sbom(tmp_path: Path) -> str:
    path = tmp_path / "bom.cdx.json"
    path.write_bytes(SBOM)
    return str(path)


def stored(request: httpx.Request) -> httpx.Response:
    digest = "sha256:" + hashlib.sha256(request.content).hexdigest()
    return httpx.Response(201, json={"id": 1, "digest": digest})


def test_version_is_the_installed_distributions(cli: Runner) -> None:
    ran = cli(Script(), "--version")
    assert ran.code == 0
    assert ran.out == f"attestd-client {version('attestd-client')}\n"


def test_python_dash_m_runs_the_same_command() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "attestd_client", "--version"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert completed.returncode == 0
    assert completed.stdout.startswith("attestd-client ")


def test_help_lists_both_commands(cli: Runner) -> None:
    ran = cli(Script(), "--help")
    assert ran.code == 0
    assert "submit" in ran.out
    assert "verdict" in ran.out


@pytest.mark.parametrize("command", ["submit", "verdict"])
def test_each_commands_help_documents_the_environment_and_every_exit_code(
    cli: Runner, command: str
) -> None:
    ran = cli(Script(), command, "--help")
    assert ran.code == 0
    assert "ATTESTD_SERVER" in ran.out
    assert "ATTESTD_TOKEN" in ran.out
    assert "--token-env VAR" in ran.out
    epilog = ran.out.split("exit codes", 1)[1]
    for code in ExitCode:
        assert f"\n  {int(code)}  " in epilog


# --- defaults from the environment ----------------------------------------------------------


def test_submit_needs_no_flag_beyond_its_files(cli: Runner, sbom: str) -> None:
    script = Script(stored)
    ran = cli(
        script,
        "submit", "--service", "payments", "--sbom", sbom,
        env={"ATTESTD_SERVER": ENV_SERVER, "ATTESTD_TOKEN": TOKEN},
    )  # fmt: skip
    assert ran.code == 0, ran.err
    (request,) = script.requests
    assert str(request.url).startswith(f"{ENV_SERVER}/v1/sboms?")
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert ran.err.startswith("attestd-client submit: 1 file: 1 accepted")


def test_verdict_needs_no_flag_beyond_the_digest_and_the_key(
    cli: Runner, signing_key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    key = tmp_path / "attestd.pub"
    key.write_bytes(public_pem(signing_key))
    script = Script(httpx.Response(200, json=answer(signing_key, decision="allow")))
    ran = cli(
        script, "verdict", "--digest", DIGEST, "--key", str(key),
        env={"ATTESTD_SERVER": ENV_SERVER, "ATTESTD_TOKEN": TOKEN},
    )  # fmt: skip
    assert ran.code == 0, ran.err
    (request,) = script.requests
    assert str(request.url) == f"{ENV_SERVER}/v1/verdicts"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"


def test_the_flags_win_over_the_environment(cli: Runner, sbom: str) -> None:
    script = Script(stored)
    ran = cli(
        script,
        "submit", "--server", "https://flag.example", "--token-env", "RELEASE_TOKEN",
        "--service", "payments", "--sbom", sbom,
        env={"ATTESTD_SERVER": ENV_SERVER, "ATTESTD_TOKEN": "atd_not_this", "RELEASE_TOKEN": TOKEN},
    )  # fmt: skip
    assert ran.code == 0, ran.err
    (request,) = script.requests
    assert request.url.host == "flag.example"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("command", ["submit", "verdict"])
def test_no_server_anywhere_is_a_usage_error(cli: Runner, sbom: str, command: str) -> None:
    args = (
        ["--service", "payments", "--sbom", sbom] if command == "submit" else ["--digest", DIGEST]
    )
    ran = cli(Script(), command, *args, env={"ATTESTD_TOKEN": TOKEN})
    assert ran.code == 2
    assert "give --server URL or set ATTESTD_SERVER" in ran.err


def test_a_bad_server_in_the_environment_is_named_as_such(cli: Runner) -> None:
    ran = cli(
        Script(), "verdict", "--digest", DIGEST,
        env={"ATTESTD_SERVER": "ftp://attestd.example", "ATTESTD_TOKEN": TOKEN},
    )  # fmt: skip
    assert ran.code == 2
    assert 'ATTESTD_SERVER "ftp://attestd.example" is not an http:// or https:// URL' in ran.err


# --- the token: the same exit code in both commands ----------------------------------------


@pytest.mark.parametrize("command", ["submit", "verdict"])
@pytest.mark.parametrize("token", [None, "", "atd_two words"])
def test_no_token_is_configuration_in_both_commands(
    cli: Runner, sbom: str, command: str, token: str | None
) -> None:
    env = {"ATTESTD_SERVER": ENV_SERVER}
    if token is not None:
        env["ATTESTD_TOKEN"] = token
    args = (
        ["--service", "payments", "--sbom", sbom]
        if command == "submit"
        else ["--digest", DIGEST, "--no-verify-summary"]
    )
    script = Script()
    ran = cli(script, command, *args, env=env)
    assert ran.code == 3
    assert "the environment variable ATTESTD_TOKEN" in ran.err
    assert f"attestd-client {command}: nothing was sent" in ran.err
    assert script.requests == []


def test_the_default_variable_says_how_to_name_another(cli: Runner) -> None:
    ran = cli(
        Script(), "verdict", "--digest", DIGEST, "--no-verify-summary",
        env={"ATTESTD_SERVER": ENV_SERVER},
    )  # fmt: skip
    assert "(or give --token-env VAR to read it from another variable)" in ran.err


@pytest.mark.parametrize("command", ["submit", "verdict"])
def test_a_token_given_as_the_variable_name_is_a_usage_error_unrepeated(
    cli: Runner, sbom: str, command: str
) -> None:
    args = (
        ["--service", "payments", "--sbom", sbom] if command == "submit" else ["--digest", DIGEST]
    )
    ran = cli(Script(), command, "--server", ENV_SERVER, "--token-env", TOKEN, *args)
    assert ran.code == 2
    assert "--token-env takes the NAME of an environment variable" in ran.err
    assert TOKEN not in ran.out + ran.err


# --- argparse's refusals ---------------------------------------------------------------------


def test_a_missing_option_is_argparses_usage_error(cli: Runner) -> None:
    ran = cli(Script(), "submit", "--server", ENV_SERVER)
    assert ran.code == 2
    assert ran.out == ""
    assert "attestd-client submit: error: the following arguments are required: --service" in (
        ran.err
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--json"],
        ["--js", "--server", ENV_SERVER],
        ["--json", "--digest", DIGEST, "--timeout", "soon"],
        ["--json", "--digest", DIGEST, "--unknown"],
    ],
)
def test_verdict_json_prints_its_error_object_for_argparses_refusals_too(
    cli: Runner, args: list[str]
) -> None:
    ran = cli(Script(), "verdict", *args)
    assert ran.code == 2
    (line,) = ran.out.splitlines()
    document = json.loads(line)
    assert document["decision"] is None
    assert document["error"]["kind"] == "usage"
    assert document["error"]["exit_code"] == 2
    assert document["error"]["message"] in ran.err
    assert "usage: attestd-client" in ran.err


def test_an_unknown_command_is_a_usage_error(cli: Runner) -> None:
    ran = cli(Script(), "serve")
    assert ran.code == 2
    assert "invalid choice" in ran.err


def test_the_name_in_messages_is_the_command_as_run(cli: Runner) -> None:
    from attestd_client.cli import main  # noqa: PLC0415 - the server's way of calling it

    with pytest.raises(SystemExit) as exited:
        main(["verdict", "--help"], prog="attestd")
    assert exited.value.code == 0
    ran = cli(Script(), "verdict", "--digest", DIGEST, env={"ATTESTD_SERVER": ENV_SERVER})
    assert ran.err.startswith("attestd-client verdict: ")
