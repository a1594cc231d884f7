"""Bad input raises what PyTorch raises: the same exception class and the same message.

Every case runs on real PyTorch and on glasstorch. Most messages must be equal
(they carry the shapes, sizes and dims of the bad input); the few cases listed with
fragments only need those parts of torch's message.
"""

import numpy as np
import pytest

import glasstorch

# name -> (the bad call, with `t` the library; fragments, or None for the whole message)
CASES = {
    # elementwise broadcasting
    "add_shapes": (lambda t: t.ones(3) + t.ones(4), None),
    "mul_2d_shapes": (lambda t: t.ones(2, 3) * t.ones(3, 2), None),
    "sub_function": (lambda t: t.sub(t.ones(2, 3), t.ones(4)), None),
    "div_leading_dim": (lambda t: t.ones(5, 2, 3) / t.ones(4, 1, 3), None),
    "compare_shapes": (lambda t: t.ones(3) == t.ones(2), None),
    "where_shapes": (lambda t: t.where(t.ones(3) > 0, t.ones(3), t.ones(4)), None),
    "add_inplace_broadcast": (lambda t: t.ones(3).add_(t.ones(2, 3)), None),
    "add_inplace_mismatch": (lambda t: t.ones(3).add_(t.ones(4)), None),
    # gather / scatter
    "gather_index_dims": (lambda t: t.ones(2, 3).gather(0, t.tensor([0, 1])), None),
    "gather_index_larger": (lambda t: t.ones(2, 3).gather(0, t.tensor([[0, 1, 0, 1]])), None),
    "gather_index_out_of_bounds": (lambda t: t.ones(2, 3).gather(0, t.tensor([[0, 5]])), None),
    "gather_dim": (lambda t: t.ones(2, 3).gather(2, t.tensor([[0, 1]])), None),
    "gather_negative_index": (lambda t: t.ones(2, 3).gather(0, t.tensor([[-1, 0, 0]])), None),
    "scatter_add_negative_index": (
        lambda t: t.ones(2, 3).scatter_add(0, t.tensor([[-1]]), t.ones(1, 1)), None),
    "scatter_add_src_smaller": (
        lambda t: t.ones(2, 3).scatter_add(0, t.tensor([[0, 1]]), t.ones(1, 1)), None),
    "scatter_index_out_of_bounds": (
        lambda t: t.ones(2, 3).scatter(1, t.tensor([[3]]), 1.0), None),
    # products
    # products
    "matmul_2d": (lambda t: t.ones(2, 3) @ t.ones(4, 5), None),
    "matmul_1d": (lambda t: t.ones(3) @ t.ones(4), None),
    "matmul_matrix_vector": (lambda t: t.ones(2, 3) @ t.ones(4), None),
    "matmul_vector_matrix": (lambda t: t.ones(3) @ t.ones(4, 2), None),
    "matmul_batch": (lambda t: t.ones(2, 2, 3) @ t.ones(3, 3, 4), None),
    "matmul_0d": (lambda t: t.ones(()) @ t.ones(3), None),
    "matmul_function": (lambda t: t.matmul(t.ones(5, 2), t.ones(3)), None),
    "mm_shapes": (lambda t: t.mm(t.ones(2, 3), t.ones(4, 5)), None),
    "mm_vector": (lambda t: t.mm(t.ones(3), t.ones(3, 2)), None),
    "mm_dtypes": (lambda t: t.mm(t.ones(2, 3), t.ones(3, 2, dtype=t.float64)), None),
    "mv_shapes": (lambda t: t.mv(t.ones(2, 3), t.ones(4)), None),
    "mv_matrix_argument": (lambda t: t.mv(t.ones(2, 3), t.ones(3, 1)), None),
    "mv_3d": (lambda t: t.mv(t.ones(2, 3, 4), t.ones(4)), None),
    "dot_sizes": (lambda t: t.dot(t.ones(3), t.ones(4)), None),
    "dot_2d": (lambda t: t.dot(t.ones(2, 3), t.ones(3)), None),
    "dot_dtypes": (lambda t: t.dot(t.ones(3), t.ones(3, dtype=t.float64)), None),
    "dot_int_float": (lambda t: t.dot(t.arange(3), t.ones(3)), None),
    "bmm_inner": (lambda t: t.bmm(t.ones(2, 3, 4), t.ones(2, 5, 6)), None),
    "bmm_batch": (lambda t: t.bmm(t.ones(2, 3, 4), t.ones(3, 4, 6)), None),
    "bmm_2d": (lambda t: t.bmm(t.ones(3, 4), t.ones(4, 6)), None),
    # dim out of range
    "sum_dim": (lambda t: t.ones(2, 3).sum(2), None),
    "sum_negative_dim": (lambda t: t.ones(2, 3).sum(-3), None),
    "sum_axis_list": (lambda t: t.ones(2, 3).sum(axis=[0, 2]), None),
    "sum_repeated_dim": (lambda t: t.ones(2, 3).sum((1, -1)), None),
    "mean_dim": (lambda t: t.ones(2, 3).mean(dim=5), None),
    "max_dim": (lambda t: t.ones(2, 3).max(dim=2), None),
    "argmax_dim": (lambda t: t.ones(2, 3).argmax(dim=2), None),
    "cumsum_dim": (lambda t: t.ones(2, 3).cumsum(2), None),
    "squeeze_dim": (lambda t: t.ones(2, 3).squeeze(2), None),
    "unsqueeze_dim": (lambda t: t.ones(2, 3).unsqueeze(3), None),
    "unsqueeze_negative_dim": (lambda t: t.ones(2, 3).unsqueeze(-4), None),
    "transpose_dim": (lambda t: t.ones(2, 3).transpose(0, 2), None),
    "permute_dim": (lambda t: t.ones(2, 3).permute(0, 2), None),
    "flatten_dim": (lambda t: t.ones(2, 3).flatten(0, 2), None),
    "select_dim": (lambda t: t.ones(2, 3).select(2, 0), None),
    "size_dim": (lambda t: t.ones(2, 3).size(2), None),
    "cat_dim": (lambda t: t.cat([t.ones(2, 3), t.ones(2, 3)], dim=2), None),
    "stack_dim": (lambda t: t.stack([t.ones(2, 3), t.ones(2, 3)], dim=3), None),
    "softmax_style_sum_0d": (lambda t: t.tensor(1.0).sum(1), None),
    # requires_grad on integers
    "tensor_int_requires_grad": (lambda t: t.tensor([1], requires_grad=True), None),
    "requires_grad_on_int": (lambda t: t.tensor([1]).requires_grad_(), None),
    "requires_grad_attribute_on_int": (
        lambda t: setattr(t.tensor([1]), "requires_grad", True), None),
    "ones_int_requires_grad": (lambda t: t.ones(2, dtype=t.int64, requires_grad=True), None),
    "arange_int_requires_grad": (lambda t: t.arange(3, requires_grad=True), None),
    # to a Python number
    "item_of_three": (lambda t: t.ones(3).item(), None),
    "item_of_empty": (lambda t: t.ones(0).item(), None),
    "float_of_three": (lambda t: float(t.ones(3)), None),
    "int_of_matrix": (lambda t: int(t.ones(2, 2)), None),
    "bool_of_three": (lambda t: bool(t.ones(3)), None),
    "bool_of_empty": (lambda t: bool(t.ones(0)), None),
    "if_on_a_vector": (lambda t: 1 if t.ones(2) > 0 else 0, None),
    "len_of_0d": (lambda t: len(t.tensor(1.0)), None),
    "iter_of_0d": (lambda t: iter(t.tensor(1.0)), None),
    "numpy_of_leaf_requiring_grad": (lambda t: t.ones(2, requires_grad=True).numpy(), None),
    "numpy_of_non_leaf": (lambda t: (t.ones(2, requires_grad=True) * 2).numpy(), None),
    # view and reshape
    "view_size": (lambda t: t.ones(2, 3).view(4), None),
    "view_inferred": (lambda t: t.ones(2, 3).view(-1, 4), None),
    "view_of_transposed": (lambda t: t.ones(2, 3).t().view(6), None),
    "view_of_permuted": (lambda t: t.ones(2, 3, 4).transpose(0, 1).view(6, 4), None),
    "reshape_two_inferred": (lambda t: t.ones(2, 3).reshape(-1, -1), None),
    "view_two_inferred": (lambda t: t.ones(2, 3).view(2, 3, -1, -1), None),
    "reshape_size": (lambda t: t.ones(2, 3).reshape(4, 2), None),
    "reshape_negative": (lambda t: t.ones(2, 3).reshape(-2, 3), None),
    "expand_size": (lambda t: t.ones(2, 3).expand(2, 4), None),
    "expand_more_dims": (lambda t: t.ones(3).expand(2, 4, 5, 4), None),
    "expand_fewer_dims": (lambda t: t.ones(2, 3).expand(3), None),
    "expand_fewer_dims_long": (lambda t: t.ones(2, 3, dtype=t.int64).expand(3), None),
    "expand_leading_minus_one": (lambda t: t.ones(3).expand(-1, 3), None),
    "permute_length": (lambda t: t.ones(2, 3).permute(0), None),
    "permute_repeated": (lambda t: t.ones(2, 3).permute(0, 0), None),
    "t_of_3d": (lambda t: t.ones(2, 3, 4).t(), None),
    "repeat_fewer_dims": (lambda t: t.ones(2, 3).repeat(2), None),
    "split_sizes": (lambda t: t.ones(4).split([1, 2]), None),
    "chunk_zero": (lambda t: t.ones(4).chunk(0), None),
    "narrow_past_end": (lambda t: t.ones(4).narrow(0, 2, 3), None),
    # indexing
    "index_row": (lambda t: t.ones(2, 3)[2], None),
    "index_negative_row": (lambda t: t.ones(2, 3)[-3], None),
    "index_column": (lambda t: t.ones(2, 3)[0, 3], None),
    "index_too_many": (lambda t: t.ones(2, 3)[0, 0, 0], None),
    "index_0d": (lambda t: t.tensor(1.0)[0], None),
    "index_tensor": (lambda t: t.ones(2, 3)[t.tensor([0, 5])], None),
    "index_list": (lambda t: t.ones(4)[[1, 4]], None),
    "index_float_tensor": (lambda t: t.ones(2, 3)[t.tensor([0.0])], None),
    "setitem_row": (lambda t: t.ones(2, 3).__setitem__((5, 0), 1.0), None),
    "index_select": (lambda t: t.ones(2, 3).index_select(0, t.tensor([2])), None),
    "index_select_negative": (lambda t: t.ones(4).index_select(0, t.tensor([-1])), None),
    # cat and stack
    "cat_sizes": (lambda t: t.cat([t.ones(2, 3), t.ones(2, 4)]), None),
    "cat_sizes_dim1": (lambda t: t.cat([t.ones(2, 3), t.ones(3, 3)], dim=1), None),
    "cat_ndim": (lambda t: t.cat([t.ones(2, 3), t.ones(3)]), None),
    "cat_nothing": (lambda t: t.cat([]), None),
    "cat_0d": (lambda t: t.cat([t.tensor(1.0), t.tensor(2.0)]), None),
    "stack_sizes": (lambda t: t.stack([t.ones(2, 3), t.ones(3, 2)]), None),
    "stack_sizes_third": (lambda t: t.stack([t.ones(3), t.ones(3), t.ones(2)]), None),
    "stack_nothing": (lambda t: t.stack([]), None),
    # in place with a result that does not fit the tensor's dtype
    "int_iadd_float": (lambda t: t.ones(3, dtype=t.int64).__iadd__(1.5), None),
    "int_iadd_float_tensor": (lambda t: t.ones(3, dtype=t.int64).__iadd__(t.ones(3)), None),
    "int_mul_float_": (lambda t: t.ones(3, dtype=t.int64).mul_(0.5), None),
    "int_div_": (lambda t: t.ones(3, dtype=t.int64).div_(2), None),
    "int32_isub_float": (lambda t: t.ones(2, dtype=t.int32).__isub__(0.5), None),
    "bool_add_": (lambda t: t.ones(3, dtype=t.bool).add_(1), None),
    # devices: torch's CPU build raises AssertionError (glasstorch without cupy does the same)
    "cuda_method": (lambda t: t.ones(2).cuda(), None),
    "to_cuda": (lambda t: t.ones(2).to("cuda"), None),
    "ones_on_cuda": (lambda t: t.ones(2, device="cuda"), None),
    "tensor_on_cuda": (lambda t: t.tensor([1.0], device="cuda"), None),
    "unknown_device": (lambda t: t.ones(2, device="tpu"), ["Expected one of cpu, cuda"]),
    # creation
    "ones_negative": (lambda t: t.ones(-1), None),
    "empty_negative": (lambda t: t.empty(2, -1), None),
    "randn_negative": (lambda t: t.randn(2, -3), None),
    "zeros_negative": (lambda t: t.zeros(-1), ["negative"]),
    "tensor_of_str": (lambda t: t.tensor("abc"), None),
    "tensor_of_str_list": (lambda t: t.tensor(["abc"]), None),
    "arange_zero_step": (lambda t: t.arange(0, 5, 0), None),
    "arange_wrong_sign": (lambda t: t.arange(5, 0, 1), None),
    "randint_bounds": (lambda t: t.randint(5, 3, (2,)), None),
    "normal_negative_std": (lambda t: t.normal(0, -1.0, (2,)),
                            ["normal expects std >= 0.0, but found std -1"]),
    "linspace_negative_steps": (lambda t: t.linspace(0, 1, -1), None),
    # dtype requirements
    "norm_of_int": (lambda t: t.ones(3, dtype=t.int64).norm(), None),
    "mean_of_int": (lambda t: t.ones(3, dtype=t.int64).mean(), None),
    "where_float_condition": (lambda t: t.where(t.ones(3), t.ones(3), t.zeros(3)), None),
    "where_long_condition": (lambda t: t.where(t.ones(3, dtype=t.int64), 1.0, 0.0), None),
    "int_to_negative_power": (lambda t: t.tensor([2]) ** -1, None),
    "bool_minus_bool": (lambda t: t.tensor([True]) - t.tensor([False]), None),
    "add_str": (lambda t: t.ones(3) + "a", ["unsupported operand type"]),
    # gradients
    "grad_of_wrong_size": (lambda t: setattr(t.ones(2), "grad", t.ones(3)), None),
    "backward_non_scalar": (lambda t: (t.ones(2, requires_grad=True) * 2).backward(), None),
    "backward_without_grad": (lambda t: t.ones(2).sum().backward(), None),
    "hook_without_grad": (lambda t: t.ones(2).register_hook(lambda g: g), None),
}


def first_line(message):
    # torch sometimes appends "(Triggered internally at ...)" or a C++ trace on later lines
    return message.split("\n")[0].split(" (Triggered internally at")[0]


@pytest.mark.parametrize("name", list(CASES))
def test_same_exception_as_torch(torch, name):
    bad_call, fragments = CASES[name]
    errors = []
    for lib in (torch, glasstorch):
        with pytest.raises(Exception) as info:
            bad_call(lib)
        errors.append(info.value)
    expected, actual = errors
    assert type(actual) is type(expected), (expected, actual)
    if fragments is None:
        assert first_line(str(actual)) == first_line(str(expected))
    else:
        for fragment in fragments:
            assert fragment in str(expected), (fragment, str(expected))
            assert fragment in str(actual), (fragment, str(actual))


def test_message_names_the_sizes():
    # the message is built from the actual input, not a fixed text
    for a, b, dim in [((7,), (5,), 0), ((2, 6), (2, 9), 1), ((4, 1, 3), (2, 8, 3), 0)]:
        with pytest.raises(RuntimeError) as info:
            glasstorch.ones(*a) + glasstorch.ones(*b)
        size_a, size_b = a[dim], b[dim]
        assert str(info.value) == (f"The size of tensor a ({size_a}) must match the size of "
                                   f"tensor b ({size_b}) at non-singleton dimension {dim}")


def test_errors_leave_tensors_unchanged(torch):
    # a failed in-place op must not have written anything
    for lib in (torch, glasstorch):
        x = lib.tensor([1, 2, 3])
        with pytest.raises(RuntimeError):
            x += 1.5
        assert x.tolist() == [1, 2, 3]
        y = lib.ones(3)
        with pytest.raises(RuntimeError):
            y.add_(lib.ones(2, 3))
        assert y.tolist() == [1.0, 1.0, 1.0]


def test_cuda_is_not_available_on_this_build(torch):
    assert glasstorch.cuda.is_available() is torch.cuda.is_available() is False
    assert glasstorch.cuda.device_count() == torch.cuda.device_count() == 0


def test_numpy_after_detach_works(torch):
    for lib in (torch, glasstorch):
        x = lib.ones(2, requires_grad=True)
        np.testing.assert_array_equal(x.detach().numpy(), np.ones(2, dtype=np.float32))
