"""Rules ``webhook`` and ``gateway`` of the cluster-fit check, and the security-group model the first reads.

``webhook``: the control plane must reach every admission webhook (and aggregated API) through the
infrastructure stack's security groups: istiod's injector on 15017 was not, so no meshed pod could be made.
``gateway``: an Istio gateway sent traffic must have a Gateway server on that port: the edge's had none,
so the ALB's connections to port 80 were refused while the readiness port stayed green.
"""

from __future__ import annotations

import json

from tools.fit import gateways, webhooks
from tools.fit.control_plane import control_plane_reach
from tools.fit.model import ClusterView, Workload

CLUSTER_SG = "${aws_security_group.cluster_cluster-sg_1.id}"
NODE_SG = "${aws_security_group.cluster_node-sg_2.id}"


def _rule(group: str, peer: str, port: int | None, **extra) -> dict:
    ports = {} if port is None else {"from_port": port, "to_port": port}
    protocol = "-1" if port is None else "tcp"
    return {"security_group_id": group, "referenced_security_group_id": peer, "ip_protocol": protocol, **ports, **extra}


def infra(ports: tuple[int, ...], *, custom_networking: bool = True) -> dict:
    """An infrastructure stack as TonebridgeCluster synthesizes it: control plane and node groups joined on
    ``ports``, pods on the node group through the ENIConfigs."""
    cni = {
        "env": {"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": str(custom_networking).lower()},
        "eniConfig": {"subnets": {"us-west-2a": {"id": "${aws_subnet.pods-a_3.id}", "securityGroups": [NODE_SG]}}},
    }
    return {
        "resource": {
            "aws_eks_cluster": {
                "cluster": {
                    "vpc_config": {"security_group_ids": [CLUSTER_SG], "subnet_ids": ["${aws_subnet.private-a_4.id}"]}
                }
            },
            "aws_subnet": {"pods-a_3": {"cidr_block": "100.64.0.0/18"}, "private-a_4": {"cidr_block": "10.0.10.0/24"}},
            "aws_launch_template": {"lt_5": {"vpc_security_group_ids": [NODE_SG]}},
            "aws_eks_node_group": {
                "ng_6": {
                    "launch_template": {"id": "${aws_launch_template.lt_5.id}"},
                    "subnet_ids": ["${aws_subnet.private-a_4.id}"],
                }
            },
            "aws_eks_addon": {"cni_7": {"addon_name": "vpc-cni", "configuration_values": json.dumps(cni)}},
            "aws_vpc_security_group_ingress_rule": {
                **{f"in-{p}": _rule(NODE_SG, CLUSTER_SG, p) for p in ports},
                "node-to-node": _rule(NODE_SG, NODE_SG, None),
            },
            "aws_vpc_security_group_egress_rule": {f"out-{p}": _rule(CLUSTER_SG, NODE_SG, p) for p in ports},
        }
    }


def test_the_control_plane_reaches_the_ports_both_groups_admit():
    reach = control_plane_reach(infra((443, 10250)))
    assert reach is not None
    assert reach.admits(443) and reach.admits(10250) and not reach.admits(15017)
    assert reach.admitted() == [443, 10250]
    assert not reach.admits(15017, host_network=True)
    # An ingress rule alone is not enough: the cluster group lets nothing out that it does not name.
    one_way = infra((443,))
    one_way["resource"]["aws_vpc_security_group_ingress_rule"]["in-15017"] = _rule(NODE_SG, CLUSTER_SG, 15017)
    assert not control_plane_reach(one_way).admits(15017)
    # A range from the VPC on the pods' group, and egress to the pod range, admit it as well.
    by_range = infra((443,))
    by_range["resource"]["aws_vpc_security_group_ingress_rule"]["vpc"] = {
        "security_group_id": NODE_SG,
        "ip_protocol": "tcp",
        "from_port": 15000,
        "to_port": 15100,
        "cidr_ipv4": "10.0.0.0/16",
    }
    by_range["resource"]["aws_vpc_security_group_egress_rule"]["all"] = {
        "security_group_id": CLUSTER_SG,
        "ip_protocol": "-1",
        "cidr_ipv4": "0.0.0.0/0",
    }
    assert control_plane_reach(by_range).admits(15017)
    assert control_plane_reach({"resource": {}}) is None


def service(namespace: str, name: str, port: int, target: int | str, selector: dict) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"selector": selector, "ports": [{"name": "https", "port": port, "targetPort": target}]},
    }


def webhook_configuration(kind: str, name: str, *hooks: tuple[str, dict]) -> dict:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": kind,
        "metadata": {"name": name},
        "webhooks": [{"name": hook, "clientConfig": {"service": ref}, "failurePolicy": "Fail"} for hook, ref in hooks],
    }


def pods(namespace: str, name: str, labels: dict, ports: list[dict], **spec) -> Workload:
    container = {"name": "main", "image": "x", "ports": ports}
    return Workload(
        "Deployment", namespace, name, {"metadata": {"labels": labels}, "spec": {"containers": [container], **spec}}
    )


def view_with(objects: list[dict], workloads: list[Workload], reach_ports=(443, 4443, 6443, 8443, 9443, 10250)):
    view = ClusterView("production", "us-west-2", "1.35", objects=objects, workloads=workloads)
    view.control_plane = control_plane_reach(infra(reach_ports))
    return view


ISTIOD = {"name": "istiod", "namespace": "istio-system", "path": "/inject", "port": 443}


def _istiod_view(reach_ports) -> ClusterView:
    return view_with(
        [
            service("istio-system", "istiod", 443, 15017, {"app": "istiod"}),
            webhook_configuration(
                "MutatingWebhookConfiguration",
                "istio-sidecar-injector",
                ("namespace.sidecar-injector.istio.io", ISTIOD),
                ("object.sidecar-injector.istio.io", ISTIOD),
            ),
        ],
        [pods("istio-system", "istiod", {"app": "istiod"}, [{"name": "https-webhooks", "containerPort": 15017}])],
        reach_ports,
    )


def test_a_webhook_behind_a_port_the_node_group_does_not_admit_is_reported():
    lines = [p.line() for p in webhooks.check(_istiod_view((443, 4443, 6443, 8443, 9443, 10250)))]
    assert lines == [
        "production/us-west-2: -/mutatingwebhookconfiguration/istio-sidecar-injector: webhook: "
        "namespace.sidecar-injector.istio.io, object.sidecar-injector.istio.io call istio-system/istiod:443 -> port "
        "15017 of deployment/istiod, which the pods' security groups do not admit from the control plane (they "
        "admit 443, 4443, 6443, 8443, 9443, 10250): every call times out"
    ]
    assert webhooks.check(_istiod_view((443, 4443, 6443, 8443, 9443, 10250, 15017))) == []


def test_named_target_ports_host_network_and_missing_services():
    cert_manager = {"name": "cert-manager-webhook", "namespace": "cert-manager", "path": "/validate"}
    missing = {"name": "gone", "namespace": "cert-manager"}
    objects = [
        service("cert-manager", "cert-manager-webhook", 443, "https", {"app": "webhook"}),
        webhook_configuration(
            "ValidatingWebhookConfiguration", "cert-manager-webhook", ("webhook.cert-manager.io", cert_manager)
        ),
        webhook_configuration("ValidatingWebhookConfiguration", "stale", ("stale.example.org", missing)),
        {
            "apiVersion": "apiregistration.k8s.io/v1",
            "kind": "APIService",
            "metadata": {"name": "v1beta1.metrics.k8s.io"},
            "spec": {"service": {"name": "metrics-server", "namespace": "kube-system"}},
        },
        service("kube-system", "metrics-server", 443, "https", {"app": "metrics-server"}),
    ]
    workloads = [
        pods("cert-manager", "cert-manager-webhook", {"app": "webhook"}, [{"name": "https", "containerPort": 10250}]),
        pods("kube-system", "metrics-server", {"app": "metrics-server"}, [{"name": "https", "containerPort": 4443}]),
    ]
    assert [p.line() for p in webhooks.check(view_with(objects, workloads))] == [
        "production/us-west-2: -/validatingwebhookconfiguration/stale: webhook: stale.example.org calls "
        "cert-manager/gone:443, which is no Service: the API server cannot call it"
    ]
    # The same webhook on a port only the pods' groups would admit: a host-network pod is on the nodes' group.
    workloads[0] = pods(
        "cert-manager",
        "cert-manager-webhook",
        {"app": "webhook"},
        [{"name": "https", "containerPort": 10260}],
        hostNetwork=True,
    )
    (line,) = [p.why for p in webhooks.check(view_with(objects, workloads)) if "cert-manager-webhook" in p.obj]
    assert "port 10260 of deployment/cert-manager-webhook, which the nodes' security groups do not admit" in line


# --- gateway ----------------------------------------------------------------------------------------------


def gateway_pods() -> Workload:
    template = {
        "metadata": {
            "labels": {"app": "istio-ingressgateway", "istio": "ingressgateway"},
            "annotations": {"inject.istio.io/templates": "gateway"},
        },
        "spec": {"containers": [{"name": "istio-proxy", "image": "auto", "ports": [{"containerPort": 80}]}]},
    }
    return Workload("Deployment", "istio-system", "istio-ingressgateway", template)


def gateway_service() -> dict:
    ports = [
        {"name": "status-port", "port": 15021, "targetPort": 15021},
        {"name": "http2", "port": 80, "targetPort": 80},
    ]
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "istio-ingressgateway", "namespace": "istio-system"},
        "spec": {
            "type": "ClusterIP",
            "selector": {"app": "istio-ingressgateway", "istio": "ingressgateway"},
            "ports": ports,
        },
    }


def binding(name: str, port: int) -> dict:
    return {
        "apiVersion": "elbv2.k8s.aws/v1beta1",
        "kind": "TargetGroupBinding",
        "metadata": {"name": name, "namespace": "istio-system"},
        "spec": {"serviceRef": {"name": "istio-ingressgateway", "port": port}, "targetType": "ip"},
    }


def istio_gateway(selector: dict, port: int) -> dict:
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "edge", "namespace": "istio-system"},
        "spec": {
            "selector": selector,
            "servers": [{"port": {"number": port, "name": "http", "protocol": "HTTP"}, "hosts": ["*"]}],
        },
    }


def _gateway_lines(*extra: dict) -> list[str]:
    objects = [gateway_service(), binding("edge-gateway", 80), binding("edge-status", 15021), *extra]
    return [
        p.line()
        for p in gateways.check(
            ClusterView("production", "us-west-2", "1.35", objects=objects, workloads=[gateway_pods()])
        )
    ]


def test_a_gateway_sent_traffic_without_a_listener_there_is_reported():
    line = (
        "production/us-west-2: istio-system/deployment/istio-ingressgateway: gateway: TargetGroupBinding edge-gateway "
        "sends traffic to Service istio-ingressgateway port 80 (pod port 80), but no networking.istio.io Gateway "
        "selecting its pods has a server on that port: the gateway has no listener there and refuses every connection"
    )
    assert _gateway_lines() == [line]  # the status binding (15021, the proxy's own) needs no Gateway
    assert _gateway_lines(istio_gateway({"istio": "other"}, 80)) == [line]  # selects other pods
    assert _gateway_lines(istio_gateway({"istio": "ingressgateway"}, 443)) == [line]  # another port
    assert _gateway_lines(istio_gateway({"istio": "ingressgateway"}, 80)) == []
