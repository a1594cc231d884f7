"""Seed 003's J = 3(a + bc) with a = 5, b = 3, c = 2 (u = bc, v = a + u, J = 3v), the graph the
tests of the graph drawings and of explain() share."""


def seed_003(lib):
    """The tensors a, b, c, u, v and J of seed 003, made with lib (glasstorch or torch)."""
    a = lib.tensor(5.0, requires_grad=True)
    b = lib.tensor(3.0, requires_grad=True)
    c = lib.tensor(2.0, requires_grad=True)
    u = b * c
    v = a + u
    J = 3 * v
    return {"a": a, "b": b, "c": c, "u": u, "v": v, "J": J}
