"""The modules that are exported (fused branch + UNet, text encoder, VAE encoder and decoder) and their example inputs."""

from __future__ import annotations

from export_common import FUSED_INPUTS, FUSED_OUTPUTS


def make_wrappers(torch, unet, vae, brushnet, text_encoder):
    """The four exported modules; without a text encoder (--no-text-encoder) there is no text_encoder entry."""
    nn = torch.nn

    class FusedBrushNetUNet(nn.Module):
        """BrushNet branch + UNet in one graph: the 28 residuals (SD1.5) never leave the device.

        The branch runs on cat([sample, brushnet_cond]) (BrushNetModel.forward concatenates internally) and its
        residuals, already multiplied by conditioning_scale, go to the UNet's down_block_add_samples /
        mid_block_add_sample / up_block_add_samples (BrushNet's fork of UNet2DConditionModel.forward pops them
        from lists, so fresh lists are passed).
        """

        def __init__(self, unet, brushnet):
            super().__init__()
            self.unet = unet
            self.brushnet = brushnet
            # BrushNet's branch always forwards the skip sizes to its upsamplers; make the UNet do the same
            # (it otherwise only does when the latent is not a multiple of 2**num_upsamplers, a trace-time
            # decision that would bake scale-factor resizes into the graph). Same numbers, and the graph then
            # accepts any latent size, e.g. 65x80 for a 520x640 image.
            self.unet.num_upsamplers = 62

        def forward(self, sample, timestep, encoder_hidden_states, brushnet_cond, conditioning_scale):
            down, mid, up = self.brushnet(
                sample,
                timestep,
                encoder_hidden_states=encoder_hidden_states,
                brushnet_cond=brushnet_cond,
                conditioning_scale=conditioning_scale,
                return_dict=False,
            )
            return self.unet(
                sample,
                timestep,
                encoder_hidden_states=encoder_hidden_states,
                down_block_add_samples=list(down),
                mid_block_add_sample=mid,
                up_block_add_samples=list(up),
                return_dict=False,
            )[0]

    class TextEncoder(nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids):
            return self.model(input_ids=input_ids, return_dict=False)[0]

    class VaeEncoder(nn.Module):
        def __init__(self, vae):
            super().__init__()
            self.vae = vae

        def forward(self, sample):
            # The distribution's mean, unscaled: the caller multiplies by scaling_factor (and may add noise).
            return self.vae.encode(sample).latent_dist.mean

    class VaeDecoder(nn.Module):
        def __init__(self, vae):
            super().__init__()
            self.vae = vae

        def forward(self, latent_sample):
            return self.vae.decode(latent_sample, return_dict=False)[0]

    wrappers = {
        "text_encoder": TextEncoder(text_encoder).eval() if text_encoder is not None else None,
        "vae_encoder": VaeEncoder(vae).eval(),
        "unet": FusedBrushNetUNet(unet, brushnet).eval(),
        "vae_decoder": VaeDecoder(vae).eval(),
    }
    return {k: v for k, v in wrappers.items() if v is not None}


def reference_unet(torch, unet, brushnet, sample, timestep, ehs, cond, scale):
    """The two-call path of StableDiffusionBrushNetPipeline (brushnet() then unet()), for the parity check."""
    down, mid, up = brushnet(sample, timestep, encoder_hidden_states=ehs, brushnet_cond=cond, conditioning_scale=scale, return_dict=False)
    return unet(sample, timestep, encoder_hidden_states=ehs, down_block_add_samples=list(down), mid_block_add_sample=mid, up_block_add_samples=list(up), return_dict=False)[0]


def example_inputs(torch, widths: dict, batch: int, height: int, width: int, timestep: float = 999.0):
    """Inputs for every graph at this size, with the widths read from the models' configs (model_widths)."""
    g = torch.Generator().manual_seed(1234)
    h, w = height // 8, width // 8
    b2 = 2 * batch
    latent, length, dim = widths["latent_channels"], widths["text_length"], widths["text_dim"]
    mask = (torch.rand(b2, 1, h, w, generator=g) > 0.3).float()  # 1 = kept, 0 = hole
    return {
        "text_encoder": (torch.randint(0, widths.get("vocab_size", 49408), (batch, length), generator=g, dtype=torch.int64),),
        "vae_encoder": (torch.rand(batch, 3, height, width, generator=g) * 2 - 1,),
        "unet": (
            torch.randn(b2, latent, h, w, generator=g),
            torch.tensor([timestep], dtype=torch.float32),
            torch.randn(b2, length, dim, generator=g),
            torch.cat([torch.randn(b2, latent, h, w, generator=g) * mask, mask], dim=1),
            torch.tensor([1.0], dtype=torch.float32),
        ),
        "vae_decoder": (torch.randn(batch, latent, h, w, generator=g),),
    }


IO = {
    "text_encoder": (["input_ids"], ["last_hidden_state"], {"input_ids": {0: "batch"}, "last_hidden_state": {0: "batch"}}),
    "vae_encoder": (["sample"], ["latent_mean"], {"sample": {0: "batch", 2: "height", 3: "width"}, "latent_mean": {0: "batch", 2: "latent_height", 3: "latent_width"}}),
    "unet": (
        FUSED_INPUTS,
        FUSED_OUTPUTS,
        {
            "sample": {0: "batch2", 2: "latent_height", 3: "latent_width"},
            "encoder_hidden_states": {0: "batch2"},
            "brushnet_cond": {0: "batch2", 2: "latent_height", 3: "latent_width"},
            "noise_pred": {0: "batch2", 2: "latent_height", 3: "latent_width"},
        },
    ),
    "vae_decoder": (["latent_sample"], ["sample"], {"latent_sample": {0: "batch", 2: "latent_height", 3: "latent_width"}, "sample": {0: "batch", 2: "height", 3: "width"}}),
}

