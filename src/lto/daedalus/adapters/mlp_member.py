"""MLP member of the surrogate ensemble: a PyTorch network trained with Lightning, with Monte
Carlo dropout for its predictive spread.

torch and lightning are imported inside the methods, never when this module is imported.

Head: a linear output on targets standardised with the training mean and std (then clipped to
[0, 1]), not a sigmoid: a sigmoid's gradient vanishes near 0 and 1, where many scores sit, and
standardising gives every target the same weight in the loss whatever its spread.

MC dropout: each of ``mc_passes`` passes draws one dropout mask per hidden layer (shared by all
rows), i.e. one thinned network; a row's prediction therefore does not depend on the other rows
of the batch (one row alone or in a batch of 10,000 gets the same answer), and the masks come
from a generator seeded with ``random_state``, so predictions are deterministic. Batch norm uses
its running statistics (eval mode). Dropout scales the kept units by 1/(1 - p) as in training.
Batch norm is folded into the weights once, and so is the first layer's dropout mask (into a
wide second-layer weight), so a prediction is four plain matrix products over rows × passes.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import numpy as np
from sklearn.base import BaseEstimator

from lto.daedalus.adapters.members import (
    check_directory,
    check_features,
    check_fit_inputs,
    not_fitted,
    read_params,
    require_file,
    write_params,
)
from lto.daedalus.ports import MemberPrediction

if TYPE_CHECKING:
    import torch

WEIGHTS_FILE = "network.pt"
MC_SEED_OFFSET = 7919  # the MC masks' generator is seeded apart from the training seed
BN_EPS = 1e-5
CHUNK_ELEMENTS = 4_000_000
# Up to this many rows, run the folded network in NumPy: a torch call costs ~15 µs here against
# NumPy's ~2 µs, which dominates a few rows; more rows go to torch (multi-threaded).
SMALL_BATCH = 64


def build_network(n_features: int, hidden: tuple[int, ...], dropout: float, n_outputs: int) -> Any:
    """Linear → BatchNorm1d → ReLU → Dropout for each hidden width, then a Linear head."""
    from torch import nn

    layers: list[nn.Module] = []
    width = n_features
    for size in hidden:
        layers += [nn.Linear(width, size), nn.BatchNorm1d(size, eps=BN_EPS), nn.ReLU()]
        layers.append(nn.Dropout(dropout))
        width = size
    layers.append(nn.Linear(width, n_outputs))
    return nn.Sequential(*layers)


@functools.cache
def _lightning_module() -> type:
    """The LightningModule class, defined on first use (lightning is imported here)."""
    import lightning.pytorch as pl
    import torch

    class MLPModule(pl.LightningModule):  # type: ignore[misc]
        def __init__(
            self, network: Any, learning_rate: float, weight_decay: float, max_epochs: int
        ) -> None:
            super().__init__()
            self.network = network
            self.learning_rate = learning_rate
            self.weight_decay = weight_decay
            self.max_epochs = max_epochs

        def training_step(self, batch: Any, batch_idx: int) -> Any:
            x, y = batch
            return torch.nn.functional.mse_loss(self.network(x), y)

        def configure_optimizers(self) -> Any:
            optimiser = torch.optim.AdamW(
                self.network.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay
            )
            schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
                optimiser, T_max=max(1, self.max_epochs)
            )
            return {"optimizer": optimiser, "lr_scheduler": schedule}

    return MLPModule


EpochHook = Callable[[int, Callable[[np.ndarray], np.ndarray]], None]


def fit_with_epoch_hook(
    model: MLPRegressor, features: np.ndarray, targets: np.ndarray, hook: EpochHook
) -> MLPRegressor:
    """``model.fit``, calling ``hook(epoch, predict)`` after every epoch, where ``predict``
    answers deterministically (dropout off) in target units: for tuning, whose pruner may stop
    the training by raising from the hook."""
    return model._fit(features, targets, hook)


def _epoch_callback(hook: EpochHook, network: Any, mean: np.ndarray, std: np.ndarray) -> Any:
    import lightning.pytorch as pl
    import torch

    def predict(features: np.ndarray) -> np.ndarray:
        was_training = network.training
        network.eval()
        with torch.no_grad():
            out = network(torch.from_numpy(np.asarray(features, np.float32))).numpy()
        network.train(was_training)
        return np.asarray(out, np.float64) * std + mean

    class EpochReport(pl.Callback):  # type: ignore[misc]
        def on_train_epoch_end(self, trainer: Any, module: Any) -> None:
            hook(int(trainer.current_epoch) + 1, predict)

    return EpochReport()


@contextlib.contextmanager
def _quiet_lightning() -> Iterator[None]:
    """Silence Lightning's info lines and its advice for big jobs (workers, log intervals)."""
    loggers = [logging.getLogger(name) for name in ("lightning.pytorch", "lightning.fabric")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=r"lightning(\..*)?")
            warnings.filterwarnings("ignore", message=r".*does not have many workers.*")
            warnings.filterwarnings("ignore", message=r".*number of training batches.*")
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class MLPRegressor(BaseEstimator):
    """A 256-128-64 ReLU network with batch norm and dropout; MC dropout gives ``std``."""

    name = "mlp"

    def __init__(
        self,
        *,
        hidden: tuple[int, ...] = (256, 128, 64),
        dropout: float = 0.3,
        learning_rate: float = 3e-3,
        weight_decay: float = 1e-4,
        batch_size: int = 128,
        max_epochs: int = 60,
        mc_passes: int = 20,
        random_state: int = 0,
    ) -> None:
        self.hidden = hidden
        self.dropout = dropout
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.mc_passes = mc_passes
        self.random_state = random_state

    # --- training ----------------------------------------------------------------------------

    def fit(self, features: np.ndarray, targets: np.ndarray) -> Self:
        return self._fit(features, targets, None)

    def _fit(self, features: np.ndarray, targets: np.ndarray, epoch_hook: EpochHook | None) -> Self:
        import lightning.pytorch as pl
        import torch

        x, y = check_fit_inputs(features, targets)
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1); got {self.dropout}")
        if len(self.hidden) < 1:
            raise ValueError("hidden must name at least one hidden layer width")
        mean = y.mean(axis=0)
        std = y.std(axis=0)
        std = np.where(std > 1e-12, std, 1.0)
        x_t = torch.from_numpy(x.astype(np.float32))
        y_t = torch.from_numpy(((y - mean) / std).astype(np.float32))
        n = x.shape[0]
        # Batch norm cannot train on a batch of one row: drop a short last batch, or use
        # the whole set as one batch when it is smaller than batch_size.
        batch_size = min(self.batch_size, n)
        loader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(x_t, y_t),
            batch_size=batch_size,
            shuffle=True,
            drop_last=n > batch_size,
            num_workers=0,
            generator=torch.Generator().manual_seed(self.random_state),
        )
        # The seed drives the initial weights and the training dropout; fork_rng leaves the
        # process-wide torch generator as it was.
        with torch.random.fork_rng(devices=[]), _quiet_lightning():
            torch.manual_seed(self.random_state)
            network = build_network(x.shape[1], tuple(self.hidden), self.dropout, y.shape[1])
            module = _lightning_module()(
                network, self.learning_rate, self.weight_decay, self.max_epochs
            )
            callbacks = (
                [] if epoch_hook is None else [_epoch_callback(epoch_hook, network, mean, std)]
            )
            trainer = pl.Trainer(
                callbacks=callbacks,
                max_epochs=self.max_epochs,
                accelerator="cpu",
                devices=1,
                logger=False,
                enable_checkpointing=False,
                enable_progress_bar=False,
                enable_model_summary=False,
                num_sanity_val_steps=0,
            )
            trainer.fit(module, train_dataloaders=loader)
        network.eval()
        self._set_learned(network, n_features=x.shape[1], target_mean=mean, target_std=std)
        return self

    def _set_learned(
        self, network: Any, n_features: int, target_mean: np.ndarray, target_std: np.ndarray
    ) -> None:
        for parameter in network.parameters():
            parameter.requires_grad_(False)
        self.network_ = network
        self.n_features_in_ = n_features
        self.n_outputs_ = len(target_mean)
        self.target_mean_ = np.asarray(target_mean, dtype=np.float64)
        self.target_std_ = np.asarray(target_std, dtype=np.float64)
        self._set_mc_weights()

    def _set_mc_weights(self) -> None:
        self.mc_weights_ = self._fold_mc_weights()
        self.small_batch_weights_ = [
            (weight.numpy(), bias.numpy(), None if mask is None else mask.numpy())
            for weight, bias, mask in self.mc_weights_
        ]

    # --- prediction --------------------------------------------------------------------------

    def _fold_mc_weights(self) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]]:
        """Per Linear layer, (weight (in, out), bias (out,), input mask (passes, in) or None),
        batch norm folded into weight and bias. The second layer takes its input mask folded
        into a wide weight (in, passes · out), so rows × passes come out of one product."""
        import torch
        from torch import nn

        passes = int(self.mc_passes)
        if passes < 2:
            raise ValueError(f"mc_passes must be at least 2; got {self.mc_passes}")
        keep = 1.0 - float(self.dropout)
        generator = torch.Generator().manual_seed(self.random_state + MC_SEED_OFFSET)
        modules = list(self.network_)
        layers: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]] = []
        mask: torch.Tensor | None = None  # (passes, in): the dropout on this layer's input
        with torch.no_grad():
            for index, linear in enumerate(modules):
                if not isinstance(linear, nn.Linear):
                    continue
                weight = linear.weight.detach().clone()  # (out, in)
                bias = linear.bias.detach().clone()
                norm = modules[index + 1] if index + 1 < len(modules) else None
                if isinstance(norm, nn.BatchNorm1d):
                    scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
                    weight = weight * scale[:, None]
                    bias = (bias - norm.running_mean) * scale + norm.bias
                weight = weight.T.contiguous()  # (in, out)
                if len(layers) == 1 and mask is not None:
                    wide = mask[:, :, None] * weight[None, :, :]  # (passes, in, out)
                    weight = wide.permute(1, 0, 2).reshape(weight.shape[0], -1).contiguous()
                    layers.append((weight, bias.contiguous(), None))
                else:
                    layers.append((weight, bias.contiguous(), mask))
                if isinstance(norm, nn.BatchNorm1d):  # a hidden layer: dropout follows
                    draws = torch.rand(passes, bias.shape[0], generator=generator)
                    mask = (draws < keep).to(weight.dtype) / keep
        return layers

    def _check_fitted(self) -> None:
        if not hasattr(self, "network_"):
            raise not_fitted(self)

    def predict_passes(self, features: np.ndarray) -> np.ndarray:
        """The (passes, n, k) MC dropout predictions, in target units, before clipping."""
        import torch

        self._check_fitted()
        x = check_features(features, self.n_features_in_)
        passes = int(self.mc_passes)
        wide_weight, wide_bias, _ = self.mc_weights_[1]
        if wide_weight.shape[1] != passes * wide_bias.shape[0]:  # mc_passes was changed
            self._set_mc_weights()
        if x.shape[0] <= SMALL_BATCH:
            out = self._passes_small(x.astype(np.float32), passes).astype(np.float64)
            return out * self.target_std_ + self.target_mean_
        layers = self.mc_weights_
        out = np.empty((passes, x.shape[0], self.n_outputs_), dtype=np.float64)
        # Chunks of rows keep the (rows, passes, width) activations small (~16 MB).
        chunk = max(1, CHUNK_ELEMENTS // (passes * max(self.hidden)))
        last = len(layers) - 1
        with torch.inference_mode():
            for begin in range(0, x.shape[0], chunk):
                h = torch.from_numpy(x[begin : begin + chunk].astype(np.float32))
                rows = h.shape[0]
                for position, (weight, bias, mask) in enumerate(layers):
                    if position == 0:
                        h = torch.addmm(bias, h, weight)  # (rows, out): no dropout before
                    elif position == 1:  # input masks folded into the wide weight
                        h = torch.mm(h, weight).view(rows, passes, -1).add_(bias)
                    else:
                        h = h.mul_(mask).view(rows * passes, -1)
                        h = torch.addmm(bias, h, weight).view(rows, passes, -1)
                    if position < last:
                        h = h.relu_()
                out[:, begin : begin + chunk] = h.view(rows, passes, -1).transpose(0, 1).numpy()
        return out * self.target_std_ + self.target_mean_

    def _passes_small(self, x: np.ndarray, passes: int) -> np.ndarray:
        """The folded network of ``predict_passes`` in NumPy, for a few float32 rows."""
        rows = x.shape[0]
        layers = self.small_batch_weights_
        h = x
        for position, (weight, bias, mask) in enumerate(layers):
            if position == 0:
                h = h @ weight + bias
            elif position == 1:
                h = (h @ weight).reshape(rows, passes, -1) + bias
            else:
                h = ((h * mask).reshape(rows * passes, -1) @ weight + bias).reshape(
                    rows, passes, -1
                )
            if position < len(layers) - 1:
                np.maximum(h, 0.0, out=h)
        return h.reshape(rows, passes, -1).transpose(1, 0, 2)

    def predict(self, features: np.ndarray) -> MemberPrediction:
        passes = self.predict_passes(features)
        mean = np.clip(passes.mean(axis=0), 0.0, 1.0)
        std = np.maximum(passes.std(axis=0, ddof=1), 1e-12)
        return MemberPrediction(mean=mean, std=std)

    # --- artifact ----------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        import torch

        self._check_fitted()
        path = check_directory(directory)
        torch.save(self.network_.state_dict(), path / WEIGHTS_FILE)
        write_params(
            path,
            self.name,
            {**self.get_params(), "hidden": list(self.hidden)},
            n_features_in=self.n_features_in_,
            n_outputs=self.n_outputs_,
            target_mean=self.target_mean_.tolist(),
            target_std=self.target_std_.tolist(),
        )

    @classmethod
    def load(cls, directory: Path) -> Self:
        import torch

        params, learned = read_params(directory, cls.name)
        params["hidden"] = tuple(params["hidden"])
        model = cls(**params)
        state = torch.load(require_file(directory, WEIGHTS_FILE), weights_only=True)
        network = build_network(
            int(learned["n_features_in"]),
            model.hidden,
            model.dropout,
            int(learned["n_outputs"]),
        )
        network.load_state_dict(state)
        network.eval()
        model._set_learned(
            network,
            n_features=int(learned["n_features_in"]),
            target_mean=np.asarray(learned["target_mean"], dtype=np.float64),
            target_std=np.asarray(learned["target_std"], dtype=np.float64),
        )
        return model
