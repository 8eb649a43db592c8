# The PyTorch side of bench/native_peer.mjs: the same training steps fsam-edge takes, on
# one CPU thread, driven over stdin/stdout (one JSON command per line, one JSON answer
# per line) so the two runtimes can be timed in interleaved rounds.
#
# SAM and F-SAM are written here from the algorithm in the design notes, in the shape of
# the official classes (nblt/F-SAM utils.py: first_step, second_step): F-SAM's step 1 is a
# SAM step (m = g), later steps use d = g − σ·m with the old m, then m = λ·m + (1−λ)·g;
# ε = ρ·d/(‖d‖ + 1e-12); the weights are restored by copy and the base optimizer (torch's
# SGD) steps with the second gradient. The "golden" command replays
# test/fixtures/golden, made with the official classes, to show this is the same step.
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class SAM(torch.optim.Optimizer):
    """SAM (Foret et al.), and F-SAM when friendly=True."""

    def __init__(self, params, base_optimizer, rho, friendly=False, sigma=1.0, lmbda=0.6, **kwargs):
        if rho < 0:
            raise ValueError(f"rho must be >= 0, got {rho}")
        super().__init__(params, dict(rho=rho, **kwargs))
        self.base_optimizer = base_optimizer(self.param_groups, **kwargs)
        self.param_groups = self.base_optimizer.param_groups
        self.friendly, self.sigma, self.lmbda = friendly, sigma, lmbda

    @torch.no_grad()
    def first_step(self):
        params = [p for g in self.param_groups for p in g["params"] if p.grad is not None]
        if self.friendly:
            for p in params:
                state = self.state[p]
                g = p.grad.clone()
                if "m" not in state:
                    state["m"] = g                          # step 1: m = g, d = g
                else:
                    p.grad.sub_(state["m"] * self.sigma)    # d = g − σ·m (the old m)
                    state["m"] = state["m"] * self.lmbda + g * (1 - self.lmbda)
        norm = torch.norm(torch.stack([p.grad.norm(p=2) for p in params]), p=2)
        for group in self.param_groups:
            scale = group["rho"] / (norm + 1e-12)
            for p in group["params"]:
                if p.grad is None:
                    continue
                self.state[p]["w_old"] = p.data.clone()
                p.add_(p.grad * scale.to(p))                # w + ε
                p.grad = None

    @torch.no_grad()
    def second_step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.data = self.state[p]["w_old"]         # back to w, by copy
        self.base_optimizer.step()
        self.zero_grad(set_to_none=True)


def make_optimizer(kind, params, h):
    sgd = dict(lr=h["learningRate"], momentum=h["momentum"], weight_decay=h["weightDecay"])
    if kind == "sgd":
        return torch.optim.SGD(params, **sgd)
    return SAM(params, torch.optim.SGD, rho=h["rho"], friendly=kind == "fsam",
               sigma=h.get("sigma", 1.0), lmbda=h.get("lambda", 0.6), **sgd)


def train_step(model, opt, kind, x, y, loss_fn):
    if kind == "sgd":
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.first_step()
    loss_fn(model(x), y).backward()
    opt.second_step()
    return loss


# ─── The golden replay: the 6-5-3 tanh MLP of test/fixtures/golden ────────────────────
def golden(path):
    d = json.load(open(path))
    h = d["hyperparameters"]
    w = {k: torch.tensor(v, dtype=torch.float32).reshape(d["shapes"][k]).requires_grad_() for k, v in d["init"].items()}
    params = [w["W1"], w["b1"], w["W2"], w["b2"]]
    opt = make_optimizer(d["optimizer"], params, h)
    model = lambda x: torch.tanh(x @ w["W1"] + w["b1"]) @ w["W2"] + w["b2"]
    worst = 0.0
    for batch, want in zip(d["batches"], d["weightsAfterEachStep"]):
        n = len(batch["y"])
        x = torch.tensor(batch["x"], dtype=torch.float32).reshape(n, -1)
        y = torch.tensor(batch["y"], dtype=torch.long)
        train_step(model, opt, d["optimizer"], x, y, F.cross_entropy)
        for k, v in want.items():
            worst = max(worst, (w[k].detach().flatten() - torch.tensor(v, dtype=torch.float32)).abs().max().item())
    return {"name": d["name"], "steps": len(d["batches"]), "maxAbsDiff": worst}


# ─── The benchmark models, as fsam-edge's bench builds them in tfjs-layers ────────────
def study_cnn():  # src/study/model.ts with { conv1: 8, conv2: 16, hidden: 64 }
    return nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(400, 64), nn.ReLU(), nn.Linear(64, 10))


def default_cnn():  # src/cli/base_model.ts (logits; the softmax is in the loss)
    return nn.Sequential(nn.Conv2d(1, 8, 5, stride=2), nn.ReLU(), nn.Conv2d(8, 16, 3, stride=2), nn.ReLU(),
                         nn.Flatten(), nn.Linear(400, 32), nn.ReLU(), nn.Linear(32, 10))


MODELS = {"study": study_cnn, "default": default_cnn}
setups = {}


def setup(c):
    torch.manual_seed(c.get("seed", 0))
    model = MODELS[c["model"]]()
    x = torch.randn(c["batch"], 1, 28, 28)
    y = torch.randint(0, 10, (c["batch"],))
    opt = make_optimizer(c["optimizer"], list(model.parameters()), c["hyper"])
    setups[c["id"]] = (model, opt, c["optimizer"], x, y)
    for _ in range(c.get("warmup", 5)):
        train_step(model, opt, c["optimizer"], x, y, F.cross_entropy)
    return {"id": c["id"], "parameters": sum(p.numel() for p in model.parameters())}


def timed(c):
    model, opt, kind, x, y = setups[c["id"]]
    ms, cpu = [], []
    for _ in range(c["steps"]):
        t0, c0 = time.perf_counter(), time.process_time()
        train_step(model, opt, kind, x, y, F.cross_entropy)
        ms.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return {"id": c["id"], "ms": ms, "cpuMs": cpu}


def parts(c):
    """Self CPU time per op over a few steps (torch's profiler), in ms per step."""
    model, opt, kind, x, y = setups[c["id"]]
    steps = c.get("steps", 5)
    with torch.autograd.profiler.profile() as prof:
        for _ in range(steps):
            train_step(model, opt, kind, x, y, F.cross_entropy)
    table = {}
    for e in prof.key_averages():
        table[e.key] = {"ms": e.self_cpu_time_total / 1000 / steps, "calls": e.count / steps}
    return {"id": c["id"], "ops": table}


def info():
    out = {"torch": torch.__version__, "python": sys.version.split()[0], "threads": torch.get_num_threads(),
           "interopThreads": torch.get_num_interop_threads(), "mkldnn": torch.backends.mkldnn.is_available(),
           "env": {k: os.environ[k] for k in sorted(os.environ) if k.startswith(("OPENBLAS", "OMP_", "MKL_"))}}
    try:
        from threadpoolctl import threadpool_info
        out["threadpools"] = [{k: v for k, v in p.items() if k in ("internal_api", "filepath", "version", "architecture",
                                                                    "num_threads", "threading_layer")} for p in threadpool_info()]
    except ImportError:
        out["threadpools"] = "threadpoolctl is not installed (Debian: python3-threadpoolctl)"
    return out


def main():
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    commands = {"info": lambda c: info(), "golden": lambda c: golden(c["path"]), "setup": setup, "time": timed,
                "parts": parts}
    for line in sys.stdin:
        c = json.loads(line)
        try:
            answer = commands[c["cmd"]](c)
        except Exception as e:  # reported to the driver, which stops
            answer = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
