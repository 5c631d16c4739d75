"Checks for the exercises of notebook 03, MNIST as tensors."
import math

import torch

from . import Wrong, as_number, call, close_tensors, exercise, expect_close, expect_tensor

__all__ = ["check_stack_images", "check_mnist_distance", "check_to_xy", "check_pixel_accuracy"]


@exercise("03", 1, "stack_images")
def check_stack_images(stack_images):
    "Exercise 03.1: a list of uint8 images -> one float32 tensor (n, rows, columns) in [0, 1]."
    g = torch.Generator().manual_seed(3)
    for n, rows, cols in [(3, 28, 28), (1, 4, 6)]:
        images = [torch.randint(0, 256, (rows, cols), dtype=torch.uint8, generator=g)
                  for _ in range(n)]
        images[0][0, :2] = torch.tensor([0, 255], dtype=torch.uint8)
        got = call(stack_images, images)
        expect_tensor(got, f"for {n} images of {rows}x{cols}, your result")
        if n > 1 and tuple(got.shape) == (n * rows, cols):
            raise Wrong(f"for {n} images of {rows}x{cols} you return shape {tuple(got.shape)}: "
                        f"torch.cat joins along an existing axis; torch.stack adds a new first "
                        f"axis.")
        expect_tensor(got, f"for {n} images of {rows}x{cols}, your result", (n, rows, cols))
        if got.dtype != torch.float32:
            raise Wrong(f"your tensor's type is {got.dtype}: make it float32 with .float(), "
                        f"the type of the model's weights.")
        if got.max() > 1 + 1e-6:
            raise Wrong(f"your values go up to {got.max().item():g}: divide by 255 to scale them "
                        f"to [0, 1].")
        expect_close(got, torch.stack(images).float() / 255, "your stack")


@exercise("03", 2, "mnist_distance")
def check_mnist_distance(mnist_distance):
    "Exercise 03.2: mean absolute difference over the last two axes, for one image or a stack."
    g = torch.Generator().manual_seed(4)
    stack, mean = torch.rand(5, 4, 4, generator=g), torch.rand(4, 4, generator=g)
    got = call(mnist_distance, stack, mean)
    expect_tensor(got, "for a stack of 5 images and a mean, your distance")
    if got.dim() == 0:
        raise Wrong("you return one number for a stack of 5 images: take the mean over the last "
                    "two axes only, .mean((-1, -2)), to get one distance per image.")
    if tuple(got.shape) == (5, 4, 4):
        raise Wrong("you return one number per pixel: take the mean over the last two axes, "
                    ".mean((-1, -2)), to get one distance per image.")
    expect_tensor(got, "for a stack of 5 images and a mean, your distance", (5,))
    diff = stack - mean
    if close_tensors(got, diff.mean((-1, -2))):
        raise Wrong("take the absolute value of the differences before the mean: without .abs() "
                    "the positive and negative differences cancel out.")
    if close_tensors(got, diff.pow(2).mean((-1, -2)).sqrt()):
        raise Wrong("that is the root mean squared difference (RMSE, L2); this exercise asks for "
                    "the mean absolute difference (L1): (a - b).abs().mean((-1, -2)).")
    expect_close(got, diff.abs().mean((-1, -2)), "your distances")
    one = call(mnist_distance, stack[2], mean)
    expect_tensor(one, "for one image and a mean, your distance", ())
    expect_close(one, diff[2].abs().mean(), "your distance for one image")


@exercise("03", 3, "to_xy")
def check_to_xy(to_xy):
    "Exercise 03.3: two stacks -> x of shape (n, 784), 3s first, and y a column, 1 for a 3."
    g = torch.Generator().manual_seed(5)
    threes, sevens = torch.rand(3, 28, 28, generator=g), torch.rand(2, 28, 28, generator=g)
    got = call(to_xy, threes, sevens)
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Wrong(f"return a pair (x, y); you return {type(got).__name__}"
                    f"{' of length ' + str(len(got)) if isinstance(got, (tuple, list)) else ''}.")
    x, y = got
    expect_tensor(x, "x")
    if tuple(x.shape) == (5, 28, 28):
        raise Wrong("x has shape (5, 28, 28): flatten each image into a row of 784 numbers, "
                    "with .view(-1, 28*28).")
    expect_tensor(x, "for 3 threes and 2 sevens, x", (5, 784))
    if close_tensors(x, torch.cat([sevens, threes]).view(-1, 784)):
        raise Wrong("x starts with the 7s: put the 3s first, then the 7s, as train_x does.")
    expect_close(x, torch.cat([threes, sevens]).view(-1, 784), "x")
    expect_tensor(y, "y")
    if tuple(y.shape) == (5,):
        raise Wrong("y has shape (5,): make it a column of shape (5, 1) with .unsqueeze(1), "
                    "so that it lines up with the model's (n, 1) predictions.")
    expect_tensor(y, "for 3 threes and 2 sevens, y", (5, 1))
    labels = y.detach().double().flatten().tolist()
    if labels == [0, 0, 0, 1, 1]:
        raise Wrong("your labels are swapped: a 3 is labelled 1 and a 7 is labelled 0.")
    if labels != [1, 1, 1, 0, 0]:
        raise Wrong(f"y should hold 1 for each 3, then 0 for each 7: [1, 1, 1, 0, 0], "
                    f"not {labels}.")


def _pixel_data():
    "Synthetic 6x6 'digits': 5 threes (one looks like a 7) and 3 sevens (one looks like a 3)."
    g = torch.Generator().manual_seed(6)
    mean3, mean7 = torch.zeros(6, 6), torch.zeros(6, 6)
    mean3[:, 4] = 1.0  # a blocky 3: the right edge and three bars
    mean3[[0, 2, 5], 1:5] = 1.0
    mean7[0, :] = 1.0  # a blocky 7: the top bar and a diagonal
    mean7[torch.arange(1, 6), torch.arange(4, -1, -1)] = 1.0
    noise = lambda n: 0.15 * torch.rand(n, 6, 6, generator=g)
    threes = torch.cat([mean3.expand(4, 6, 6), mean7[None]]) + noise(5)
    sevens = torch.cat([mean7.expand(2, 6, 6), mean3[None]]) + noise(3)
    return threes, sevens, mean3, mean7


@exercise("03", 4, "pixel_accuracy")
def check_pixel_accuracy(pixel_accuracy):
    "Exercise 03.4: the fraction of all images that pixel similarity gets right."
    threes, sevens, mean3, mean7 = _pixel_data()
    got = as_number(call(pixel_accuracy, threes, sevens, mean3, mean7), "your accuracy")
    d = lambda x, m: (x - m).abs().mean((-1, -2))
    right3 = (d(threes, mean3) < d(threes, mean7)).float()
    right7 = (d(sevens, mean7) <= d(sevens, mean3)).float()
    overall = (right3.sum() + right7.sum()).item() / (len(threes) + len(sevens))
    if math.isclose(got, (right3.mean() + right7.mean()).item() / 2, abs_tol=1e-6):
        raise Wrong("you averaged the accuracy on the 3s and on the 7s; with 5 threes and "
                    "3 sevens each image should count once: divide the number right by all "
                    "8 images.")
    if math.isclose(got, (right3.sum() + (1 - right7).sum()).item() / 8, abs_tol=1e-6):
        raise Wrong("a 7 is right when it is NOT closer to the mean 3: count the 7s with ~is_3, "
                    "or 1 - is_3, as the notebook does.")
    if not math.isclose(got, overall, abs_tol=1e-6):
        raise Wrong(f"for 5 threes (4 look like a 3) and 3 sevens (2 look like a 7) you return "
                    f"{got:.4f}, but pixel similarity gets {overall:.4f} right.")
