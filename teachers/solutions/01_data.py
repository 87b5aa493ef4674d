"Reference answers to the checked exercises of 01_data (teachers only; not part of the package)."
import torch

def stratified_indices(labels, train_frac, seed=0):
    g = torch.Generator().manual_seed(seed)
    train, valid = [], []
    for c in labels.unique():
        idx = (labels == c).nonzero().flatten()
        idx = idx[torch.randperm(len(idx), generator=g)]
        k = round(len(idx) * train_frac)
        train.append(idx[:k]); valid.append(idx[k:])
    return torch.cat(train), torch.cat(valid)

def long_tail_counts(n_max, n_classes, imbalance):
    r = torch.arange(n_classes, dtype=torch.float64)
    return (n_max * imbalance ** (-r / max(n_classes - 1, 1))).floor().long().clamp(min=1)

# typical wrong answers
def _split_global(labels, train_frac, seed=0):
    perm = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    k = round(len(labels) * train_frac)
    return perm[:k], perm[k:]

def _split_first(labels, train_frac, seed=0):
    train, valid = [], []
    for c in labels.unique():
        idx = (labels == c).nonzero().flatten()
        k = round(len(idx) * train_frac)
        train.append(idx[:k]); valid.append(idx[k:])
    return torch.cat(train), torch.cat(valid)

def _split_unseeded(labels, train_frac, seed=0):
    train, valid = [], []
    for c in labels.unique():
        idx = (labels == c).nonzero().flatten()
        idx = idx[torch.randperm(len(idx))]
        k = round(len(idx) * train_frac)
        train.append(idx[:k]); valid.append(idx[k:])
    return torch.cat(train), torch.cat(valid)

def _split_overlap(labels, train_frac, seed=0):
    tr, va = stratified_indices(labels, train_frac, seed)
    return tr, torch.cat([va, tr[:1]])

def _lt_linear(n_max, n_classes, imbalance):
    return torch.linspace(n_max, max(n_max / imbalance, 1), n_classes).round().long()

def _lt_over_c(n_max, n_classes, imbalance):
    r = torch.arange(n_classes, dtype=torch.float64)
    return (n_max * imbalance ** (-r / n_classes)).floor().long().clamp(min=1)

def _lt_zero(n_max, n_classes, imbalance):
    r = torch.arange(n_classes, dtype=torch.float64)
    return (n_max * (imbalance * 10) ** (-r / max(n_classes - 1, 1))).floor().long()

RIGHT = {'01.stratified_split': stratified_indices, '01.lt_counts': long_tail_counts}
WRONG = {
    '01.stratified_split': [(_split_global, "count each class on its own"), (_split_first, "give the same split"),
                            (_split_unseeded, "two calls with seed=0 gave different splits"),
                            (_split_overlap, "is in both parts")],
    '01.lt_counts': [(_lt_linear, "by the same *factor*"), (_lt_over_c, "the ratio of the largest to the smallest"),
                     (_lt_zero, "keep at least 1")],
}
