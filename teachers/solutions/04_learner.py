"Reference answers to the checked exercises of 04_learner (teachers only; not part of the package)."
import math
from hiercifar.learner import Callback

class LRRecorder(Callback):
    "Record the learning rate after every training batch."
    def before_fit(self, learn): self.lrs = []
    def after_batch(self, learn):
        if learn.training: self.lrs.append(learn.opt.param_groups[0]['lr'])

def lr_at(step, total, max_lr, warmup):
    if step < warmup: return max_lr * step / warmup
    t = (step - warmup) / max(total - warmup, 1)
    return max_lr * 0.5 * (1 + math.cos(math.pi * t))

# typical wrong answers
class _RecAll(Callback):
    def before_fit(self, learn): self.lrs = []
    def after_batch(self, learn): self.lrs.append(learn.opt.param_groups[0]['lr'])

class _RecNoReset(Callback):
    def __init__(self): self.lrs = []
    def after_batch(self, learn):
        if learn.training: self.lrs.append(learn.opt.param_groups[0]['lr'])

class _RecBefore(Callback):
    def before_fit(self, learn): self.lrs = []
    def before_batch(self, learn):
        if learn.training: self.lrs.append(learn.opt.param_groups[0]['lr'])

class _RecOtherName(Callback):
    def before_fit(self, learn): self.rates = []
    def after_batch(self, learn):
        if learn.training: self.rates.append(learn.opt.param_groups[0]['lr'])

def _lr_linear_decay(step, total, max_lr, warmup):
    if step < warmup: return max_lr * step / warmup
    return max_lr * (total - step) / (total - warmup)

def _lr_no_warmup(step, total, max_lr, warmup):
    return max_lr * 0.5 * (1 + math.cos(math.pi * step / total))

def _lr_full_cosine(step, total, max_lr, warmup):
    if step < warmup: return max_lr * step / warmup
    t = (step - warmup) / (total - warmup)
    return max_lr * 0.5 * (1 + math.cos(2 * math.pi * t))

RIGHT = {'04.lr_recorder': LRRecorder, '04.warmup_cosine': lr_at}
WRONG = {
    '04.lr_recorder': [(_RecAll, "validation batches call after_batch too"),
                       (_RecNoReset, "start a new list in before_fit"),
                       (_RecBefore, "lag one batch behind"), (_RecOtherName, "no attribute `lrs`"),
                       (LRRecorder(), "pass the class itself")],
    '04.warmup_cosine': [(_lr_linear_decay, "a half-cosine falls slowly"), (_lr_no_warmup, "the warm-up starts from 0"),
                         (_lr_full_cosine, "ends at 0 at step total")],
}
