"Reference answers to the checked exercises of 01b_datasets (teachers only; not part of the package)."
import numpy as np, torch

def stl_images(buf):
    return torch.from_numpy(np.asarray(buf, np.uint8).reshape(-1, 3, 96, 96)).transpose(2, 3).contiguous()

def cifar_images(rows):
    return torch.from_numpy(np.asarray(rows, np.uint8).reshape(-1, 3, 32, 32))

# typical wrong answers
def _stl_no_transpose(buf): return torch.from_numpy(buf.reshape(-1, 3, 96, 96))
def _stl_hwc(buf): return torch.from_numpy(buf.reshape(-1, 96, 96, 3)).permute(0, 3, 1, 2)
def _stl_float(buf): return stl_images(buf).float() / 255
def _cifar_hwc(rows): return torch.from_numpy(rows.reshape(-1, 32, 32, 3)).permute(0, 3, 1, 2)
def _cifar_transposed(rows): return cifar_images(rows).transpose(2, 3)
def _cifar_one(rows): return cifar_images(rows)[:1]

RIGHT = {'01b.stl_images': stl_images, '01b.cifar_images': cifar_images}
WRONG = {
    '01b.stl_images': [(_stl_no_transpose, "mirrored along its diagonal"), (_stl_hwc, "is wrong: how are the images"),
                       (_stl_float, "keep the file's bytes as uint8")],
    '01b.cifar_images': [(_cifar_hwc, "channel 0 of image 0 is not its red plane"), (_cifar_transposed, "mirrored"),
                         (_cifar_one, "of shape (3, 3, 32, 32), got shape (1, 3, 32, 32)")],
}
