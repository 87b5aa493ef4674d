"Reference answers to the checked exercises of 14_metric_learning (for teachers; not shown to students)."
import torch

def triplet(a, p, n, margin):
    "Mean over the triplets of [‖a − p‖² − ‖a − n‖² + margin]₊."
    return torch.relu((a - p).pow(2).sum(1) - (a - n).pow(2).sum(1) + margin).mean()

def batch_hard(D, labels):
    "Per anchor: the farthest image of its class (not itself) and the nearest image of another class."
    same = labels[:, None] == labels[None]
    pos = same & ~torch.eye(len(labels), dtype=torch.bool)
    return D.masked_fill(~pos, -float('inf')).argmax(1), D.masked_fill(same, float('inf')).argmin(1)

def _easy(D, labels):
    same = labels[:, None] == labels[None]
    pos = same & ~torch.eye(len(labels), dtype=torch.bool)
    return D.masked_fill(~pos, float('inf')).argmin(1), D.masked_fill(same, float('inf')).argmin(1)

def _far_neg(D, labels):
    same = labels[:, None] == labels[None]
    pos = same & ~torch.eye(len(labels), dtype=torch.bool)
    return D.masked_fill(~pos, -float('inf')).argmax(1), D.masked_fill(same, -float('inf')).argmax(1)

def _self(D, labels):
    same = labels[:, None] == labels[None]
    return D.masked_fill(~same, float('inf')).argmin(1), D.masked_fill(same, float('inf')).argmin(1)

RIGHT = {'14.triplet': triplet, '14.batch_hard': batch_hard}
WRONG = {'14.triplet': [(lambda a, p, n, m: ((a - p).pow(2).sum(1) - (a - n).pow(2).sum(1) + m).mean(), 'clip at zero'),
                        (lambda a, p, n, m: torch.relu((a - p).norm(dim=1) - (a - n).norm(dim=1) + m).mean(), 'Euclidean'),
                        (lambda a, p, n, m: triplet(a, p, n, m) * len(a), 'not the sum'),
                        (lambda a, p, n, m: torch.relu((a - p).pow(2).sum(1) - (a - n).pow(2).sum(1) + m), 'one number')],
         '14.batch_hard': [(_easy, 'the hardest positive is the farthest'), (_far_neg, 'the hardest negative is the nearest'),
                           (_self, 'is not another image of its class')]}
