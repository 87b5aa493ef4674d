"Reference answers to the checked exercises of 03_losses (teachers only; not part of the package)."
import torch
import torch.nn.functional as F

def severity_loss(logits, target, S, lam=1.):
    ce = F.cross_entropy(logits, target, reduction='none')
    return (ce + lam * (logits.softmax(-1) * S[target]).sum(-1)).mean()

def mistake_factors(logits, target, hier, multipliers=(1., 2., 4.)):
    return torch.tensor((1.,) + tuple(multipliers))[hier.lca[target, logits.argmax(-1)]]

def focal_loss(logits, target, gamma=2.):
    lp = F.log_softmax(logits, -1).gather(1, target[:, None])[:, 0]
    return (-(1 - lp.exp()) ** gamma * lp).mean()

# typical wrong answers
def _sl_column(logits, target, S, lam=1.):
    ce = F.cross_entropy(logits, target, reduction='none')
    return (ce + lam * (logits.softmax(-1) * S[:, target].T).sum(-1)).mean()
def _sl_sum(logits, target, S, lam=1.):
    ce = F.cross_entropy(logits, target, reduction='none')
    return (ce + lam * (logits.softmax(-1) * S[target]).sum(-1)).sum()
def _sl_predicted(logits, target, S, lam=1.):   # the predicted class's severity: not the expected one, no gradient
    ce = F.cross_entropy(logits, target, reduction='none')
    return (ce + lam * S[target, logits.argmax(-1)]).mean()
def _sl_detached(logits, target, S, lam=1.):
    ce = F.cross_entropy(logits, target, reduction='none')
    return (ce + lam * (logits.softmax(-1).detach() * S[target]).sum(-1)).mean()
def _sl_no_lam(logits, target, S, lam=1.):
    ce = F.cross_entropy(logits, target, reduction='none')
    return (ce + (logits.softmax(-1) * S[target]).sum(-1)).mean()

def _mf_no_right(logits, target, hier, multipliers=(1., 2., 4.)):
    return torch.tensor(multipliers)[hier.lca[target, logits.argmax(-1)] - 1]
def _mf_shift(logits, target, hier, multipliers=(1., 2., 4.)):   # multipliers[lca] instead of multipliers[lca - 1]
    lca = hier.lca[target, logits.argmax(-1)]
    return torch.tensor((1.,) + tuple(multipliers))[((lca + 1) * (lca > 0)).clamp(max=3)]

def _fl_detached(logits, target, gamma=2.):
    lp = F.log_softmax(logits, -1).gather(1, target[:, None])[:, 0]
    return (-(1 - lp.exp()).detach() ** gamma * lp).mean()
def _fl_no_gamma(logits, target, gamma=2.):
    lp = F.log_softmax(logits, -1).gather(1, target[:, None])[:, 0]
    return (-(1 - lp.exp()) * lp).mean()
def _fl_plus(logits, target, gamma=2.):
    lp = F.log_softmax(logits, -1).gather(1, target[:, None])[:, 0]
    return (-(1 + lp.exp()) ** gamma * lp).mean()

RIGHT = {'03.severity_loss': severity_loss, '03.mistake_factors': mistake_factors, '03.focal_loss': focal_loss}
WRONG = {
    '03.severity_loss': [(_sl_column, "the label's row"), (_sl_sum, "average over the batch"),
                         (_sl_predicted, "it should be the mean of CE"), (_sl_detached, "the gradient is not"),
                         (_sl_no_lam, "with lam=0 the loss is the cross-entropy")],
    '03.mistake_factors': [(_mf_no_right, "is answered right"),
                           (_mf_shift, "same superclass, same group, other group")],
    '03.focal_loss': [(_fl_detached, "take part in the gradient"), (_fl_no_gamma, "with gamma=0 the focal loss is "
                                                                                  "the cross-entropy"),
                      (_fl_plus, "check the factor (1 - p_y)^γ")],
}
