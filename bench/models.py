"""Forward + backward time of one 256-image batch for each model: fp32 NCHW vs channels_last vs bf16 autocast.

    python bench/models.py [--bs 256] [--reps 3]

Prints parameter counts and seconds per batch, measured on this machine (noisy: compare within one run only).
"""
import argparse, time
import torch
from hiercifar.hierarchy import Hierarchy
from hiercifar.models import get_model, to_channels_last, cpu_bf16_supported, choose_precision, param_summary
from hiercifar.losses import MultiHeadCE

p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
p.add_argument('--bs', type=int, default=256)
p.add_argument('--reps', type=int, default=3)
p.add_argument('--models', default='cnn,resnet18')
args = p.parse_args()
h = Hierarchy.cifar100()
amp = torch.bfloat16 if cpu_bf16_supported() else None   # bf16 wherever oneDNN runs it, to compare
print(f"choose_precision('cpu') picks {choose_precision('cpu')} on this machine")
loss_fn = MultiHeadCE(h)

def bench(name, channels_last, use_amp):
    torch.manual_seed(0)
    m = get_model(name, h).train()
    x = torch.randn(args.bs, 3, 32, 32)
    y = h.labels(torch.randint(0, 100, (args.bs,)))
    if channels_last: m, x = to_channels_last(m), x.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.SGD(m.parameters(), lr=0.01)
    def step():
        with torch.autocast('cpu', dtype=amp or torch.float32, enabled=use_amp and amp is not None):
            loss = loss_fn(m(x), y)
        loss.backward(); opt.step(); opt.zero_grad(set_to_none=True)
    step()
    t = time.perf_counter()
    for _ in range(args.reps): step()
    return (time.perf_counter() - t) / args.reps

for name in args.models.split(','):
    ps = param_summary(get_model(name, h))
    print(f"{name}: {ps.loc['total', 'parameters']:,} parameters ({ps.loc['total', 'trainable']:,} trainable)")
    base = None
    for cl, a in ((False, False), (True, False), (False, True), (True, True)):
        s = bench(name, cl, a)
        base = base or s
        print(f"  {'channels_last' if cl else 'NCHW':13s} {('bf16' if amp else 'fp32(no bf16 here)') if a else 'fp32':5s}: "
              f"{s:.3f} s per {args.bs}-image forward+backward  ({base / s:.2f}x)", flush=True)
