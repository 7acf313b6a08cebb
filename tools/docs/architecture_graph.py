"""The architecture picture as a Graphviz graph, built from one environment's synthesized stacks.

One box per cloud region (each AWS region of the regional stacks, the GCP region of the DR stack), each
holding its network (subnet tiers with their CIDRs and what is placed in them), its Kubernetes cluster with
the node pools and the data stores running on them, its managed database and backup buckets; above them the
global edge (Route 53 records and health checks, CloudFront and its web ACL); edges for traffic, database
and bucket replication, backup copies and DNS routing. Every value in a label is read from the resources;
the words around the values (``read replica``, ``failover``) name what the resource type does.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections import defaultdict

import graphviz

from tools.docs.diagram import (
    AWS,
    BACKUP,
    DASH,
    DNS,
    EDGE,
    FONT,
    GCP,
    INNER,
    REPLICATION,
    TIMES,
    TRAFFIC,
    box,
    chunks,
    counted,
    escape,
    label,
    nid,
    table,
)
from tools.docs.synthesized import Ref, Synthesized

#: What a resource placed in a subnet is called in its tier's row (by resource type).
_PLACED = {
    "aws_lb": lambda r: "ALB",
    "aws_nat_gateway": lambda r: "NAT gateway",
    "aws_instance": lambda r: f"{r.get('tags', {}).get('Name', 'EC2').rsplit('-', 1)[-1]} {r['instance_type']}",
    "aws_eks_cluster": lambda r: "EKS control plane",
    "aws_eks_node_group": lambda r: f"pool {r['node_group_name']}",
    "aws_eks_addon": lambda r: f"pod IPs ({r['addon_name']})",
    "aws_vpc_endpoint": lambda r: "VPC endpoint",
    "aws_db_subnet_group": lambda r: "RDS",
}


class Picture:
    """Builds the graph; each ``_draw_*`` method draws one part from the stacks."""

    def __init__(self, stacks: dict[str, dict]) -> None:
        self.s = Synthesized(stacks)
        self.regional = self.s.with_resource("aws_vpc")
        self.dr = self.s.with_resource("google_container_cluster")
        self.edge = self.s.with_resource("aws_route53_zone")
        self.platform = self._platforms()
        #: The regional stacks by the region of their default provider, drawn left to right: the replicas' regions,
        #: then the primary database's (in the middle, beside the DR box its backups are copied to).
        self.regions = dict(
            sorted(
                ((self.s.default_region(st), st) for st in self.regional),
                key=lambda rs: self._replica_rank(rs[1]),
                reverse=True,
            )
        )
        self.graph = graphviz.Digraph(
            "architecture",
            graph_attr={
                "rankdir": "TB",
                "newrank": "true",
                "compound": "true",
                "fontname": FONT,
                "nodesep": "0.25",
                "ranksep": "0.45",
                "bgcolor": "white",
                "pad": "0.2",
            },
            node_attr={
                "shape": "box",
                "style": "rounded,filled",
                "fillcolor": "white",
                "color": "#888888",
                "fontname": FONT,
                "fontsize": "11",
                "margin": "0.12,0.06",
            },
            edge_attr={"fontname": FONT, "fontsize": "9", "arrowsize": "0.7"},
        )
        tags = self._default_tags()
        self.graph.attr(
            label=f"{tags.get('Project', '')} {tags.get('Environment', '')} · drawn from the synthesized "
            "Terraform stacks by make docs (tools/docs/architecture.py)",
            labelloc="t",
            fontsize="16",
            fontname=f"{FONT} Bold",
        )
        #: Node at the top of a box -> the DNS record pointing at it.
        self.entries: dict[str, str] = {}
        #: Box name -> row -> node ids: rows stack top to bottom (invisible edges), so that each box reads downwards.
        self.rows: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))

    def put(self, graph: graphviz.Digraph, where: tuple[str, int], node: str, text: str, **attrs: str) -> None:
        """Draw a node in ``graph``, in row ``where[1]`` of box ``where[0]``."""
        graph.node(node, text, **attrs)
        self.rows[where[0]][where[1]].append(node)

    # --- reading ---------------------------------------------------------------------------------------------
    def _platforms(self) -> dict[str, str]:
        """Regional stack -> the platform stack whose Kubernetes provider talks to its cluster."""
        found = {}
        for stack in self.s.with_resource("helm_release"):
            ref = self.s.ref(stack, self.s.stacks[stack].get("provider", {}).get("kubernetes"))
            if ref and ref.type == "aws_eks_cluster":
                found[ref.stack] = stack
        return found

    def _default_tags(self) -> dict[str, str]:
        """The tags every AWS resource of the environment carries (the providers' default tags)."""
        for stack in self.regional:
            for config in self.s.stacks[stack]["provider"]["aws"]:
                for block in config.get("default_tags", []):
                    return block["tags"]
        return {}

    def _replica_rank(self, stack: str) -> tuple[int, str]:
        replicas = [r for r in self.s.resources(stack, "aws_db_instance").values() if r.get("replicate_source_db")]
        return (1 if replicas else 0, stack)

    def _log_buckets(self) -> set[Ref]:
        """Buckets that only receive access logs (targets of bucket logging or CloudFront logging)."""
        found = set()
        for stack in self.s.stacks:
            for r in self.s.resources(stack, "aws_s3_bucket_logging").values():
                found |= set(self.s.refs(stack, r["target_bucket"]))
            for r in self.s.resources(stack, "aws_cloudfront_distribution").values():
                found |= set(self.s.refs(stack, r.get("logging_config", {})))
        return {Ref(f.stack, f.type, f.id, "") for f in found if f.type == "aws_s3_bucket"}

    # --- drawing ---------------------------------------------------------------------------------------------
    def build(self) -> graphviz.Digraph:
        for stack in self.edge:
            self._draw_edge(stack)
        for region, stack in self.regions.items():
            self._draw_aws_region(region, stack)
        for stack in self.dr:
            self._draw_gcp(stack)
        self._draw_links()
        self._draw_order()
        self._draw_legend()
        return self.graph

    def _draw_edge(self, stack: str) -> None:
        s = self.s
        zone, *_ = s.resources(stack, "aws_route53_zone").values()
        with box(self.graph, f"{stack}-edge", f"Global edge · Route 53 zone {zone['name']} ({stack})", EDGE) as c:
            folded = self._skip_duplicate_records(stack)
            records = sorted(
                s.resources(stack, "aws_route53_record").items(), key=lambda kv: self._column(stack, kv[1])
            )
            for ident, record in records:
                if ident in folded or "${each." in record["name"]:
                    continue  # AAAA twins, certificate validation records
                c.node(
                    nid((stack, "aws_route53_record", ident)),
                    label(*self._record_lines(stack, record)),
                    shape="note",
                    fillcolor="#FBF6FF",
                    color="#7B3FA0",
                )
            for ident, dist in s.resources(stack, "aws_cloudfront_distribution").items():
                acls = [
                    r["name"] for r in s.resources(stack, "aws_wafv2_web_acl").values() if r["scope"] == "CLOUDFRONT"
                ]
                origins = [o["domain_name"] for o in dist["origin"]]
                c.node(
                    nid((stack, "aws_cloudfront_distribution", ident)),
                    label(
                        "CloudFront " + ", ".join(dist.get("aliases", [])),
                        f"WAF web ACL {', '.join(acls)}" if acls else "",
                        f"{dist['price_class']} · {dist['http_version']}",
                        f"origin {', '.join(origins)}",
                    ),
                )

    def _column(self, stack: str, record: dict) -> int:
        """Where a record's target is drawn, left to right: dot places the boxes in the order of the records
        leading to them, so the records are drawn in the boxes' order (names the zone's own first)."""
        columns = [*self.regions, *self.dr]
        if policy := record.get("latency_routing_policy"):
            return columns.index(policy["region"]) if policy["region"] in columns else -1
        stacks = {ref.stack for ref in self.s.refs(stack, record.get("records"))}
        return max((columns.index(st) for st in stacks if st in columns), default=-1)

    def _record_lines(self, stack: str, record: dict) -> list[str]:
        kinds = [record["type"]] + [
            r["type"]
            for r in self.s.resources(stack, "aws_route53_record").values()
            if r is not record
            and r["name"] == record["name"]
            and r.get("alias") == record.get("alias")
            and r.get("alias")
        ]
        lines = [record["name"], " / ".join(kinds) + (" alias" if record.get("alias") else f" TTL {record.get('ttl')}")]
        if policy := record.get("failover_routing_policy"):
            lines.append(f"failover {policy['type']} ({record['set_identifier']})")
        if policy := record.get("latency_routing_policy"):
            lines.append(f"latency routing: {policy['region']}")
        if check := self.s.ref(stack, record.get("health_check_id")):
            hc = self.s.resource(check)
            lines.append(
                f"health check {hc['type']} :{hc['port']}{hc['resource_path']}, "
                f"{hc['failure_threshold']}{TIMES} {hc['request_interval']} s"
                + (" (inverted)" if hc.get("invert_healthcheck") else "")
            )
        return lines

    def _skip_duplicate_records(self, stack: str) -> set[str]:
        """AAAA twins of A alias records are folded into the A record's node."""
        records = self.s.resources(stack, "aws_route53_record")
        return {
            ident
            for ident, r in records.items()
            if r["type"] == "AAAA" and any(o["type"] == "A" and o["name"] == r["name"] for o in records.values())
        }

    def _draw_aws_region(self, region: str, stack: str) -> None:
        s = self.s
        role = "secondary (database replica)" if self._replica_rank(stack)[0] else "primary"
        stacks = [stack, *([self.platform[stack]] if stack in self.platform else [])]
        with box(self.graph, region, f"AWS {region} · {role} ({', '.join(stacks)})", AWS) as c:
            self._draw_vpc(c, region, stack)
            self._draw_eks(c, region, stack)
            for ident, lb in s.resources(stack, "aws_lb").items():
                acls = [
                    s.resource(Ref(stack, "aws_wafv2_web_acl", ref.id, ""))["name"]
                    for a in s.resources(stack, "aws_wafv2_web_acl_association").values()
                    if (ref := s.ref(stack, a["web_acl_arn"])) and s.ref(stack, a["resource_arn"]).id == ident
                ]
                listeners = self._listeners(Ref(stack, "aws_lb", ident, ""))
                self.put(
                    c,
                    (region, 0),
                    nid((stack, "aws_lb", ident)),
                    label(
                        f"ALB {lb['name']}",
                        ("internet-facing" if not lb["internal"] else "internal") + " · " + listeners,
                        f"WAF web ACL {', '.join(acls)}" if acls else "",
                    ),
                )
            for ident, db in s.resources(stack, "aws_db_instance").items():
                low = db.get("allocated_storage")
                size = (
                    f"{low}{DASH}{db['max_allocated_storage']}"
                    if low
                    else f"\N{LESS-THAN OR EQUAL TO}{db['max_allocated_storage']}"
                )
                storage = f"{db['storage_type']} {size} GiB"
                engine = f"{db['engine']} {db['engine_version']}" if db.get("engine") else "read replica"
                self.put(
                    c,
                    (region, 3),
                    nid((stack, "aws_db_instance", ident)),
                    label(
                        f"RDS {db['identifier']}",
                        f"{engine} · {db['instance_class']}" + (" · Multi-AZ" if db.get("multi_az") else ""),
                        f"{storage} · backups {db['backup_retention_period']} d",
                    ),
                    shape="cylinder",
                    fillcolor="#E8F0FE",
                )
            self._draw_buckets(c, region)

    def _listeners(self, lb: Ref) -> str:
        found = []
        for stack in self.s.stacks:
            for r in self.s.resources(stack, "aws_lb_listener").values():
                target = self.s.ref(stack, r["load_balancer_arn"])
                if target and (target.stack, target.id) == (lb.stack, lb.id):
                    found.append((r["port"], f"{r['protocol']} :{r['port']}"))
        return " + ".join(text for _, text in sorted(found))

    def _draw_vpc(self, c: graphviz.Digraph, region: str, stack: str) -> None:
        s = self.s
        ((vpc_id, vpc),) = s.resources(stack, "aws_vpc").items()
        extra = [a["cidr_block"] for a in s.resources(stack, "aws_vpc_ipv4_cidr_block_association").values()]
        tiers: dict[str, list[tuple[str, str, str]]] = defaultdict(list)  # tier -> (az, cidr, logical id)
        for ident, subnet in s.resources(stack, "aws_subnet").items():
            tiers[subnet.get("tags", {}).get("Tier", "subnets")].append(
                (subnet["availability_zone"], subnet["cidr_block"], ident)
            )
        placed: dict[str, list[str]] = defaultdict(list)
        for kind, name in _PLACED.items():
            for r in s.resources(stack, kind).values():
                subnets = sorted({ref.id for ref in s.refs(stack, r) if ref.type == "aws_subnet"})
                for tier, members in tiers.items():
                    if any(m[2] in subnets for m in members):
                        placed[tier].append(name(r))
        platform = self.platform.get(stack)
        for node_class in s.objects(platform, "EC2NodeClass") if platform else []:
            subnets = {
                ref.id
                for ref in s.refs(platform, node_class["spec"].get("subnetSelectorTerms"))
                if ref.type == "aws_subnet"
            }
            for tier, members in tiers.items():
                if any(m[2] in subnets for m in members):
                    placed[tier].append(f"Karpenter {node_class['metadata']['name']}")
        order = sorted(tiers, key=lambda t: min(ipaddress.ip_network(m[1]) for m in tiers[t]))
        zones = sorted({m[0] for members in tiers.values() for m in members})
        rows = [
            [
                tier,
                *[", ".join(cidr for az, cidr, _ in sorted(tiers[tier]) if az == zone) for zone in zones],
                chunks(counted(placed[tier]), 2),
            ]
            for tier in order
        ]
        title = f"VPC {vpc['tags']['Name']} · {' + '.join([vpc['cidr_block'], *extra])}"
        self.put(
            c,
            (region, 5),
            nid((stack, "aws_vpc", vpc_id)),
            table(title, ["tier", *zones, "in it"], rows),
            shape="plain",
            style="",
        )

    def _draw_eks(self, c: graphviz.Digraph, region: str, stack: str) -> None:
        s = self.s
        for ident, cluster in s.resources(stack, "aws_eks_cluster").items():
            endpoint = (
                "private API endpoint"
                if not cluster["vpc_config"].get("endpoint_public_access")
                else "public API endpoint"
            )
            with box(
                c, f"{stack}-{ident}", f"EKS {cluster['name']} · Kubernetes {cluster['version']} · {endpoint}", INNER
            ) as k:
                rows = [
                    [
                        ng["node_group_name"],
                        ", ".join(ng["instance_types"]),
                        ng["capacity_type"].lower().replace("_", "-"),
                        f"{ng['scaling_config']['min_size']}{DASH}{ng['scaling_config']['max_size']}",
                    ]
                    for ng in s.resources(stack, "aws_eks_node_group").values()
                ]
                platform = self.platform.get(stack)
                for pool in s.objects(platform, "NodePool") if platform else []:
                    req = {r["key"]: r["values"] for r in pool["spec"]["template"]["spec"].get("requirements", [])}
                    limits = pool["spec"].get("limits", {})
                    rows.append(
                        [
                            [pool["metadata"]["name"], "(Karpenter)"],
                            chunks(req.get("node.kubernetes.io/instance-type", ["any"]), 3),
                            ", ".join(req.get("karpenter.sh/capacity-type", ["on-demand"])),
                            f"≤ {limits['cpu']} CPU" if "cpu" in limits else "",
                        ]
                    )
                self.put(
                    k,
                    (region, 1),
                    nid((stack, "aws_eks_cluster", ident)),
                    table("node pools", ["pool", "instance types", "capacity", "nodes"], rows),
                    shape="plain",
                    style="",
                )
                if platform:
                    self._draw_in_cluster(k, region, platform)

    def _draw_in_cluster(self, k: graphviz.Digraph, region: str, platform: str) -> None:
        """What the platform stack runs that the picture names: the ingress gateway and the data stores."""
        s = self.s
        services = {
            (b["metadata"]["namespace"], b["spec"]["serviceRef"]["name"])
            for b in s.objects(platform, "TargetGroupBinding")
        }
        for namespace, service in sorted(services):
            binding = {"metadata": {"namespace": namespace}}
            self.put(
                k,
                (region, 1),
                nid((platform, "service", service)),
                label(service, f"namespace {binding['metadata']['namespace']}"),
            )
        for redis in s.objects(platform, "RedisCluster"):
            spec = redis["spec"]
            pool = spec.get("redisLeader", {}).get("nodeSelector", {}).get("workload", "")
            self.put(
                k,
                (region, 2),
                nid((platform, "RedisCluster", redis["metadata"]["name"])),
                label(
                    f"Redis {redis['metadata']['namespace']}/{redis['metadata']['name']}",
                    f"RedisCluster {spec['clusterVersion']}: {spec['redisLeader']['replicas']} leaders + "
                    f"{spec['redisFollower']['replicas']} followers",
                    f"on pool {pool}" if pool else "",
                ),
                shape="cylinder",
                fillcolor="#FDECEA",
            )
        for pg in s.objects(platform, "Cluster"):
            if not pg["apiVersion"].startswith("postgresql.cnpg.io/"):
                continue
            spec = pg["spec"]
            storage = spec["storage"]
            pool = spec.get("affinity", {}).get("nodeSelector", {}).get("workload", "")
            self.put(
                k,
                (region, 2),
                nid((platform, "cnpg", pg["metadata"]["name"])),
                label(
                    f"CloudNativePG {pg['metadata']['namespace']}/{pg['metadata']['name']}",
                    f"{spec['instances']} instances · {storage['size']} {storage.get('storageClass', '')}",
                    f"on pool {pool}" if pool else "",
                ),
                shape="cylinder",
                fillcolor="#E8F0FE",
            )

    def _draw_buckets(self, c: graphviz.Digraph, region: str) -> None:
        """The data buckets of the region, whichever regional stack creates them (a replica bucket is created by
        the source bucket's stack, in the other region)."""
        s = self.s
        logs = self._log_buckets()
        for stack in self.regional:
            locks = {
                s.ref(stack, r["bucket"]).id: r["rule"]["default_retention"]
                for r in s.resources(stack, "aws_s3_bucket_object_lock_configuration").values()
            }
            for ident, bucket in sorted(s.resources(stack, "aws_s3_bucket").items(), key=lambda kv: kv[1]["bucket"]):
                if Ref(stack, "aws_s3_bucket", ident, "") in logs or s.region(stack, bucket) != region:
                    continue
                lock = locks.get(ident)
                self.put(
                    c,
                    (region, 4),
                    nid((stack, "aws_s3_bucket", ident)),
                    label(
                        f"S3 {bucket['bucket']}",
                        f"object lock {lock['mode'].lower()} {lock['days']} d" if lock else "",
                    ),
                    shape="folder",
                    fillcolor="#EDF7ED",
                )

    def _draw_gcp(self, stack: str) -> None:
        s = self.s
        region = s.default_region(stack, "google")
        project = s.stacks[stack]["provider"]["google"][0].get("project", "")
        with box(self.graph, f"gcp-{region}", f"GCP {region} · DR standby, project {project} ({stack})", GCP) as c:
            for ident, net in s.resources(stack, "google_compute_network").items():
                rows = []
                for sub in s.resources(stack, "google_compute_subnetwork").values():
                    rows.append([sub["name"], sub["ip_cidr_range"], "nodes"])
                    rows += [
                        [f"  {r['range_name']}", r["ip_cidr_range"], "secondary range"]
                        for r in sub.get("secondary_ip_range", [])
                    ]
                nats = [n["name"] for n in s.resources(stack, "google_compute_router_nat").values()]
                self.put(
                    c,
                    (region, 5),
                    nid((stack, "google_compute_network", ident)),
                    table(
                        f"VPC {net['name']}",
                        ["subnet", "CIDR", "for"],
                        rows,
                        note=f"Cloud NAT {', '.join(nats)}" if nats else "",
                    ),
                    shape="plain",
                    style="",
                )
            for ident, gke in s.resources(stack, "google_container_cluster").items():
                private = gke.get("private_cluster_config", {}).get("enable_private_endpoint")
                title = f"GKE {gke['name']} · {'private API endpoint' if private else 'public API endpoint'}"
                with box(c, f"{stack}-{ident}", title, INNER) as k:
                    rows = [
                        [
                            p["name"],
                            p["node_config"]["machine_type"],
                            f"{p['autoscaling']['min_node_count']}{DASH}{p['autoscaling']['max_node_count']}",
                        ]
                        for p in s.resources(stack, "google_container_node_pool").values()
                    ]
                    self.put(
                        k,
                        (region, 1),
                        nid((stack, "google_container_cluster", ident)),
                        table("node pools", ["pool", "machine type", "nodes"], rows),
                        shape="plain",
                        style="",
                    )
            for ident, bucket in s.resources(stack, "google_storage_bucket").items():
                if ident in {
                    s.ref(stack, b.get("logging", {}).get("log_bucket")).id
                    for b in s.resources(stack, "google_storage_bucket").values()
                    if b.get("logging")
                }:
                    continue
                retention = bucket.get("retention_policy", {})
                days = int(retention.get("retention_period", 0)) // 86400
                self.put(
                    c,
                    (region, 4),
                    nid((stack, "google_storage_bucket", ident)),
                    label(
                        f"GCS {bucket['name']}",
                        f"retention {days} d" + (" (locked)" if retention.get("is_locked") else "") if days else "",
                    ),
                    shape="folder",
                    fillcolor="#EDF7ED",
                )
            for ident, address in s.resources(stack, "google_compute_global_address").items():
                self.put(
                    c,
                    (region, 0),
                    nid((stack, "google_compute_global_address", ident)),
                    label(
                        f"address {address['name']}",
                        f"global {address['ip_version']} {address['address_type'].lower()}",
                    ),
                )

    def _draw_links(self) -> None:
        """Traffic, DNS, replication and backup edges, each from the resource that says so."""
        s, g = self.s, self.graph
        for stack in self.edge:
            folded = self._skip_duplicate_records(stack)
            for ident, record in s.resources(stack, "aws_route53_record").items():
                if ident in folded or "${each." in record["name"]:
                    continue
                source = nid((stack, "aws_route53_record", ident))
                targets = (
                    s.refs(stack, record.get("alias", {}).get("name"))
                    if record.get("alias")
                    else s.refs(stack, record.get("records"))
                )
                for target in targets:
                    g.edge(source, nid(target), **DNS)
                    self.entries[nid(target)] = source
                if alias := record.get("alias"):  # an alias to another record of the zone
                    for other_id, other in s.resources(stack, "aws_route53_record").items():
                        if other["name"] == alias["name"] and other_id not in folded:
                            g.edge(source, nid((stack, "aws_route53_record", other_id)), **DNS)
            for ident, dist in s.resources(stack, "aws_cloudfront_distribution").items():
                for origin in dist["origin"]:
                    for other_id, other in s.resources(stack, "aws_route53_record").items():
                        if other["name"] == origin["domain_name"]:
                            g.edge(
                                nid((stack, "aws_cloudfront_distribution", ident)),
                                nid((stack, "aws_route53_record", other_id)),
                                label=f" origin {origin['custom_origin_config']['origin_protocol_policy']}",
                                **TRAFFIC,
                            )
        for platform in self.platform.values():
            bound: dict[tuple[str, str], list[tuple[int, int, str]]] = defaultdict(list)
            for binding in s.objects(platform, "TargetGroupBinding"):
                group = s.ref(platform, binding["spec"]["targetGroupARN"])
                service = nid((platform, "service", binding["spec"]["serviceRef"]["name"]))
                for lb, priority, paths in self._forwards(group):
                    bound[(nid(lb), service)].append((priority, binding["spec"]["serviceRef"]["port"], paths))
            for (lb, service), forwards in sorted(bound.items()):
                paths = [p for _, _, ps in sorted(forwards) for p in ps if not p.endswith("/*")]
                ports = sorted({port for _, port, _ in forwards})
                text = f" {' '.join(dict.fromkeys(paths))}\n → :{', :'.join(map(str, ports))}"
                g.edge(lb, service, label=text, **TRAFFIC)
        for stack in self.regional:
            for ident, db in s.resources(stack, "aws_db_instance").items():
                if not (source := s.ref(stack, db.get("replicate_source_db"))):
                    continue
                lines = ["read replica"] + [
                    f"automated backups copied, {r['retention_period']} d"
                    for r in s.resources(stack, "aws_db_instance_automated_backups_replication").values()
                    if (s.ref(stack, r["source_db_instance_arn"]) or source).id == source.id
                ]
                g.edge(nid(source), nid((stack, "aws_db_instance", ident)), label=" " + "\n".join(lines), **REPLICATION)
            for r in s.resources(stack, "aws_s3_bucket_replication_configuration").values():
                src = s.ref(stack, r["bucket"])
                for rule in r["rule"]:
                    dst = s.ref(stack, rule["destination"]["bucket"])
                    rtc = rule["destination"].get("replication_time", {})
                    extra = f", {rtc['time']['minutes']} min" if rtc.get("status") == "Enabled" else ""
                    g.edge(nid(src), nid(dst), label=f" replication {rule['id']}{extra}", **REPLICATION)
        for stack in self.dr:
            for r in s.resources(stack, "google_storage_transfer_job").values():
                spec = r["transfer_spec"]
                src = s.ref(stack, spec["aws_s3_data_source"]["bucket_name"])
                dst = s.ref(stack, spec["gcs_data_sink"]["bucket_name"])
                hours = int(r["schedule"]["repeat_interval"].rstrip("s")) // 3600
                path = spec["gcs_data_sink"].get("path", "")
                g.edge(
                    nid(src),
                    nid(dst),
                    label=f" Storage Transfer every {hours} h{' → ' + path if path else ''}",
                    **BACKUP,
                )
        for platform in self.platform.values():
            for pg in s.objects(platform, "Cluster"):
                store = pg["spec"].get("backup", {}).get("barmanObjectStore")
                if not store:
                    continue
                bucket = store["destinationPath"].removeprefix("s3://").split("/")[0]
                for target in self._buckets_named(bucket):
                    g.edge(
                        nid((platform, "cnpg", pg["metadata"]["name"])),
                        nid(target),
                        label=" base backups + WAL",
                        **BACKUP,
                    )
            for job in s.objects(platform, "CronJob"):
                env = {
                    e["name"]: e.get("value")
                    for c in job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
                    for e in c.get("env", [])
                }
                host, bucket = s.ref(platform, env.get("PGHOST")), s.ref(platform, env.get("BACKUP_BUCKET"))
                if host and bucket:
                    g.edge(
                        nid(host),
                        nid(bucket),
                        label=f" CronJob {job['metadata']['name']}\n{job['spec']['schedule']}",
                        **BACKUP,
                    )

    def _forwards(self, group: Ref) -> list[tuple[Ref, int, list[str]]]:
        """(load balancer, rule priority, path patterns) of every listener rule forwarding to a target group."""
        found = []
        for stack in self.s.stacks:
            for rule in self.s.resources(stack, "aws_lb_listener_rule").values():
                targets = {
                    (r.stack, r.id) for a in rule["action"] for r in self.s.refs(stack, a.get("target_group_arn"))
                }
                if (group.stack, group.id) not in targets:
                    continue
                listener = self.s.ref(stack, rule["listener_arn"])
                lb = self.s.ref(listener.stack, self.s.resource(listener)["load_balancer_arn"])
                paths = [v for c in rule["condition"] for v in c.get("path_pattern", {}).get("values", [])]
                found.append((lb, rule["priority"], paths))
        return found

    def _draw_order(self) -> None:
        """Rows: invisible edges from each row of a box to the next, so that a box reads from its entry point down to
        its network, and each row on one level across the boxes (entry points, clusters, data stores, buckets,
        networks), so that copies between boxes run straight across. The DNS records leading into the boxes share
        a level too. Left to right, dot keeps the order the records are drawn in (:meth:`_column`)."""
        levels: dict[int, list[str]] = defaultdict(list)
        for rows in self.rows.values():
            filled = [rows[i] for i in sorted(rows) if rows[i]]
            for upper, lower in itertools.pairwise(filled):
                pairs = dict.fromkeys([(upper[0], node) for node in lower] + [(node, lower[0]) for node in upper])
                for a, b in pairs:
                    self.graph.edge(a, b, style="invis", weight="2" if (a, b) == (upper[0], lower[0]) else "1")
            for i, nodes in sorted(rows.items()):
                levels[i] += nodes
        tops = levels.get(0, [])
        for level in [[self.entries[node] for node in tops if node in self.entries], *levels.values()]:
            with self.graph.subgraph() as same:
                same.attr(rank="same")
                for node in dict.fromkeys(level):
                    same.node(node)

    def _buckets_named(self, name: str) -> list[tuple[str, str, str]]:
        return [
            (stack, "aws_s3_bucket", ident)
            for stack in self.s.stacks
            for ident, b in self.s.resources(stack, "aws_s3_bucket").items()
            if b.get("bucket") == name
        ]

    def _draw_legend(self) -> None:
        items = [
            ("traffic", TRAFFIC, "━━━▶"),
            ("DNS routing", DNS, "╍╍╍▶"),
            ("replication", REPLICATION, "━━━▶"),
            ("backup copy", BACKUP, "╍╍╍▶"),
        ]
        cells = "".join(
            f'<TD><FONT COLOR="{style["color"]}">{arrow}</FONT> {escape(text)}</TD>' for text, style, arrow in items
        )
        self.graph.node(
            "legend",
            f'<<TABLE BORDER="0" CELLSPACING="6"><TR>{cells}</TR></TABLE>>',
            shape="box",
            style="rounded",
            color="#CCCCCC",
            fontsize="9",
        )


def dot_source(stacks: dict[str, dict]) -> str:
    """The DOT text of the picture of one environment's stacks (stack name -> ``cdk.tf.json``)."""
    return Picture(stacks).build().source
