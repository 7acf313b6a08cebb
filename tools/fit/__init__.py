"""The cluster-fit check: read the synthesized platform the way the cluster will.

Every object passing its schema is not enough: a pod can be refused at admission, claims can
exceed a quota, a request can fit no node, a flow can be cut by a default deny, a chart default can
merge with our values into an object the API server rejects. This package derives, per environment
and region, what the cluster will actually run (our manifests, the charts rendered with Helm's own
engine, the pods and claims operators derive from our custom resources) into one
:class:`~tools.fit.model.ClusterView`, and checks it jointly. ``make fit`` runs it
(``python -m tools.fit``); each problem is one line
``<env>/<region>: <namespace>/<object>: <rule>: <why>``.

Pure Python and cdktf-free: it reads ``cdktf.out`` and the validated configuration.
"""
