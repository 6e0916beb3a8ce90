"""deploy/kubernetes/: valid against the Kubernetes API schemas (offline, with
kubernetes-validate), and holding what the set-up needs: probes and measured
resources on every workload, secrets only from Secrets, the socket.io affinity,
an autoscaler on the Rasa servers, and commands that exist in this project."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, Iterator, List

import kubernetes_validate
import pytest
import yaml

from tests.project import ROOT

MANIFESTS = sorted((ROOT / "deploy" / "kubernetes").glob("*.yaml"))
KUBERNETES_VERSION = "1.28.0"
SECRET_NAME = re.compile(r"(TOKEN|SECRET|PASSWORD|DATABASE_URL|KEY)$")


def documents() -> List[Dict[str, Any]]:
    return [doc for path in MANIFESTS for doc in yaml.safe_load_all(path.read_text()) if doc]


def containers() -> Iterator[Dict[str, Any]]:
    for doc in documents():
        if doc["kind"] in ("Deployment", "Job"):
            yield from doc["spec"]["template"]["spec"]["containers"]


def by_kind(kind: str) -> List[Dict[str, Any]]:
    return [doc for doc in documents() if doc["kind"] == kind]


def test_there_are_manifests_for_every_process():
    names = {doc["metadata"]["name"] for doc in by_kind("Deployment")}
    assert names == {"kyphoplasty-rasa", "kyphoplasty-actions", "kyphoplasty-widget", "kyphoplasty-console"}
    assert by_kind("Job") and by_kind("HorizontalPodAutoscaler") and by_kind("Ingress")


@pytest.mark.parametrize("doc", documents(), ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_valid_against_the_kubernetes_schema(doc):
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_a_broken_manifest_is_refused():
    broken = {**by_kind("Deployment")[0]}
    broken["spec"] = {**broken["spec"], "replicas": "two"}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_every_server_has_probes_and_resources():
    for doc in by_kind("Deployment"):
        for container in doc["spec"]["template"]["spec"]["containers"]:
            assert container.get("readinessProbe") and container.get("livenessProbe"), doc["metadata"]["name"]
            assert set(container["resources"]) == {"requests", "limits"}


def test_rasa_requests_what_one_process_was_measured_to_hold():
    rasa = next(d for d in by_kind("Deployment") if d["metadata"]["name"] == "kyphoplasty-rasa")
    resources = rasa["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert resources["requests"]["cpu"] == "1"  # one process per core
    # measured RSS after a load (scripts/benchmark.py, docs/design.md, "Memory"): 640 MiB
    assert int(resources["requests"]["memory"].removesuffix("Mi")) >= 640


def test_secrets_come_only_from_kubernetes_secrets():
    for container in containers():
        for variable in container.get("env", []):
            if SECRET_NAME.search(variable["name"]):
                assert "secretKeyRef" in variable.get("valueFrom", {}), variable["name"]
    for config in by_kind("ConfigMap"):
        assert not [key for key in config["data"] if SECRET_NAME.search(key)]


def test_socketio_stays_on_one_rasa_pod_and_rasa_scales_on_cpu():
    service = next(d for d in by_kind("Service") if d["metadata"]["name"] == "kyphoplasty-rasa")
    assert service["spec"]["sessionAffinity"] == "ClientIP"
    ingress = by_kind("Ingress")[0]
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    hpa = by_kind("HorizontalPodAutoscaler")[0]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "kyphoplasty-rasa"
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"


def test_commands_run_modules_and_files_of_this_project():
    for container in containers():
        command = " ".join(container["command"])
        for module in re.findall(r"-m ([\w.]+)", command):
            path = ROOT / Path(*module.split("."))
            assert path.with_suffix(".py").exists() or (path / "__main__.py").exists(), module
        for file in re.findall(r"(deploy/[\w./-]+\.yml)", command):
            assert (ROOT / file).exists(), file
