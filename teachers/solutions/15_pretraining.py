"Reference answers to the checked exercises of 15_pretraining (for teachers; not shown to students)."
import torch
import torch.nn.functional as F

def recon_error(ae, x):
    "Mean squared error of the reconstruction, measured in eval mode without a gradient."
    ae.eval()
    with torch.no_grad(): return F.mse_loss(ae(x), x).item()

def freeze_body(model):
    "Freeze every parameter of model.body; the heads stay trainable."
    model.body.requires_grad_(False)
    return model

def _train_mode(ae, x):
    with torch.no_grad(): return F.mse_loss(ae(x), x).item()

def _summed(ae, x):
    ae.eval()
    with torch.no_grad(): return F.mse_loss(ae(x), x, reduction='sum').item()

def _first_layer(model):
    model.body[0].requires_grad_(False)

RIGHT = {'15.recon_error': recon_error, '15.freeze': freeze_body}
WRONG = {'15.recon_error': [(_train_mode, 'is dropout still on'), (_summed, 'sum of squared errors'),
                            (lambda ae, x: F.mse_loss(ae.eval()(x), x), 'gradient graph')],
         '15.freeze': [(lambda m: m.requires_grad_(False), 'heads.weight is frozen too'), (_first_layer, 'body.2.weight still requires'),
                       (lambda m: None, 'body.0.weight still requires')]}
