"""Graph passes run on an ONNX model after its float32 -> float16 conversion (export_brushnet.py --fp16).

Needs only the `onnx` package (no torch, no onnxruntime), so test_fp16_passes.py runs anywhere `python3-onnx` is.

Why: onnxruntime's converter (onnxruntime.transformers.float16.convert_float_to_float16) keeps each node of the
block list in fp32 by wrapping it in its own casts: an fp32 output is cast to fp16, and the next blocked node casts
it back to fp32. A chain of blocked nodes (the timestep embedding: t * freq, Sin, Cos, ...) thus still rounds every
value through fp16 between its nodes, which is the precision the block list is meant to keep. The converter also
appends its casts at the end of the node list, so the graph is no longer topologically sorted (onnx.checker refuses
it; onnxruntime loads it anyway).

The passes here match structure, never node names: the converter names its casts `<node>_output_cast<i>` /
`<node>_input_cast<i>` / `graph_input_cast<i>`, and newer versions name them after tensors.
"""

from __future__ import annotations

from collections import defaultdict, deque

import onnx
from onnx import TensorProto

FLOAT, FLOAT16 = TensorProto.FLOAT, TensorProto.FLOAT16


def cast_to(node) -> int | None:
    """The `to` type of a Cast node, None for any other node."""
    if node.op_type != "Cast":
        return None
    return next((a.i for a in node.attribute if a.name == "to"), None)


def elem_types(graph) -> dict[str, int]:
    """Element type of every value whose type the graph states: inputs, outputs, value_info, initializers and
    Cast outputs (a Cast's `to` is authoritative, whatever value_info says)."""
    types: dict[str, int] = {}
    for v in list(graph.input) + list(graph.output) + list(graph.value_info):
        if v.type.HasField("tensor_type"):
            types[v.name] = v.type.tensor_type.elem_type
    for t in graph.initializer:
        types[t.name] = t.data_type
    for n in graph.node:
        to = cast_to(n)
        if to is not None:
            types[n.output[0]] = to
    return types


def _consumers(graph) -> dict[str, list]:
    users = defaultdict(list)
    for n in graph.node:
        for i in n.input:
            if i:
                users[i].append(n)
    return users


def find_round_trips(graph) -> list[tuple]:
    """Every (Cast to fp16, Cast to fp32) pair where the first casts an fp32 value and the second reads its result."""
    types = elem_types(graph)
    producer = {o: n for n in graph.node for o in n.output}
    pairs = []
    for back in graph.node:
        if cast_to(back) != FLOAT:
            continue
        down = producer.get(back.input[0])
        if down is not None and cast_to(down) == FLOAT16 and types.get(down.input[0]) == FLOAT:
            pairs.append((down, back))
    return pairs


def remove_cast_round_trips(model) -> int:
    """Remove every fp32 -> fp16 -> fp32 round trip: readers of the second cast's output read the original fp32
    value instead, and casts nobody reads any more are dropped. A Cast(to fp16) whose result also feeds fp16 nodes
    stays for them (that fp16 path is untouched). When the fp32 result is a graph output, its name must survive, so
    the second cast becomes an Identity of the fp32 value. Returns the number of round trips removed."""
    graph = model.graph
    outputs = {o.name for o in graph.output}
    removed = 0
    while True:
        pairs = find_round_trips(graph)
        if not pairs:
            break
        rename: dict[str, str] = {}
        for down, back in pairs:
            if back.output[0] in outputs:
                back.op_type = "Identity"
                del back.attribute[:]
                back.input[0] = down.input[0]
            else:
                rename[back.output[0]] = down.input[0]
            removed += 1
        for n in graph.node:
            for i, name in enumerate(n.input):
                while name in rename:
                    name = rename[name]
                n.input[i] = name
        _drop_unread_casts(graph)
    _drop_stale_value_info(graph)
    return removed


def _drop_unread_casts(graph) -> None:
    outputs = {o.name for o in graph.output}
    while True:
        read = {i for n in graph.node for i in n.input} | outputs
        keep = [n for n in graph.node if n.op_type != "Cast" or any(o in read for o in n.output)]
        if len(keep) == len(graph.node):
            return
        del graph.node[:]
        graph.node.extend(keep)


def _drop_stale_value_info(graph) -> None:
    live = {o for n in graph.node for o in n.output} | {i.name for i in graph.input} | {t.name for t in graph.initializer}
    keep = [v for v in graph.value_info if v.name in live]
    del graph.value_info[:]
    graph.value_info.extend(keep)


def _subgraph_reads(node) -> set[str]:
    """Outer-scope names read inside a node's subgraphs (If/Loop/Scan bodies): they are dependencies too."""
    reads: set[str] = set()
    for a in node.attribute:
        for g in ([a.g] if a.HasField("g") else []) + list(a.graphs):
            local = {i.name for i in g.input} | {t.name for t in g.initializer} | {o for n in g.node for o in n.output}
            for n in g.node:
                reads |= {i for i in n.input if i and i not in local}
                reads |= _subgraph_reads(n) - local
    return reads


def topological_sort(graph) -> None:
    """Order the nodes so every value is produced before it is read (Kahn's algorithm; among nodes that are ready
    together the original order is kept). Raises ValueError naming the values of a cycle or a missing producer."""
    nodes = list(graph.node)
    producer = {o: k for k, n in enumerate(nodes) for o in n.output if o}
    deps = [set() for _ in nodes]
    users = defaultdict(list)
    for k, n in enumerate(nodes):
        for name in set(n.input) | _subgraph_reads(n):
            p = producer.get(name)
            if p is not None and p != k and p not in deps[k]:
                deps[k].add(p)
                users[p].append(k)
    waiting = [len(d) for d in deps]
    ready = deque(k for k, w in enumerate(waiting) if w == 0)
    order = []
    while ready:
        k = ready.popleft()
        order.append(k)
        for u in sorted(users[k]):
            waiting[u] -= 1
            if waiting[u] == 0:
                ready.append(u)
    if len(order) != len(nodes):
        stuck = [nodes[k].name or nodes[k].op_type for k in range(len(nodes)) if waiting[k] > 0]
        raise ValueError(f"the graph has a cycle through {len(stuck)} nodes, e.g. {stuck[:5]}")
    del graph.node[:]
    graph.node.extend(nodes[k] for k in order)


def is_topologically_sorted(graph) -> bool:
    known = {i.name for i in graph.input} | {t.name for t in graph.initializer} | {""}
    for n in graph.node:
        if any(i not in known for i in n.input):
            return False
        known.update(n.output)
    return True


def uniquify_node_names(graph) -> int:
    """Give every node a distinct name (the checker and some tools key on names). Returns how many were renamed."""
    seen: set[str] = set()
    renamed = 0
    taken = {n.name for n in graph.node}
    for k, n in enumerate(graph.node):
        if n.name and n.name not in seen:
            seen.add(n.name)
            continue
        base = n.name or f"{n.op_type}_node"
        i = k
        while f"{base}_{i}" in taken or f"{base}_{i}" in seen:
            i += 1
        n.name = f"{base}_{i}"
        seen.add(n.name)
        renamed += 1
    return renamed


def precision_summary(graph, blocked: list[str]) -> dict:
    """What actually computes in fp32 after the passes: the blocked nodes still present (Casts aside), those among
    them that read an fp16 value through a cast (fp16 data entering the fp32 region), and round trips left."""
    types = elem_types(graph)
    producer = {o: n for n in graph.node for o in n.output}
    wanted = set(blocked)
    kept = [n for n in graph.node if n.name in wanted and n.op_type != "Cast"]
    reads_fp16 = []
    for n in kept:
        for i in n.input:
            p = producer.get(i)
            if p is not None and cast_to(p) == FLOAT and types.get(p.input[0]) == FLOAT16:
                reads_fp16.append(n.name)
                break
    ops: dict[str, int] = defaultdict(int)
    for n in kept:
        ops[n.op_type] += 1
    return {
        "kept_fp32": len(kept),
        "kept_ops": dict(sorted(ops.items(), key=lambda kv: -kv[1])),
        "reads_fp16": reads_fp16,
        "round_trips_left": len(find_round_trips(graph)),
    }


def finish_fp16(model, blocked: list[str]) -> dict:
    """All passes, in order: remove round trips, make node names unique, sort. Returns counts for the log."""
    removed = remove_cast_round_trips(model)
    renamed = uniquify_node_names(model.graph)
    topological_sort(model.graph)
    return {"round_trips_removed": removed, "renamed": renamed, **precision_summary(model.graph, blocked)}


def describe(summary: dict) -> str:
    """One honest log line from finish_fp16's counts."""
    ops = ", ".join(f"{k} {v}" for k, v in list(summary["kept_ops"].items())[:6]) or "none"
    line = (
        f"{summary['kept_fp32']} nodes kept fp32 ({ops}), {summary['round_trips_removed']} fp32->fp16->fp32 round trips removed, "
        f"{summary['round_trips_left']} left"
    )
    if summary["reads_fp16"]:
        line += f"; {len(summary['reads_fp16'])} fp32 nodes read an fp16 value (e.g. {summary['reads_fp16'][:3]})"
    if summary["renamed"]:
        line += f"; {summary['renamed']} duplicate node names renamed"
    return line


def check(model_or_path) -> None:
    """onnx.checker on a model or a path (a path also works for models with external data over 2 GB)."""
    onnx.checker.check_model(model_or_path if isinstance(model_or_path, onnx.ModelProto) else str(model_or_path))
