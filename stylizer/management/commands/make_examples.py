"""python manage.py make_examples [--size 192] [--steps 60] [--limit 4] [--force]

The landing page's before/after examples: the starter photo (gallery.starter_styles.scene,
drawn here, never a third-party picture) painted by the engine in each of the first
`--limit` active curated styles, the starter styles on a fresh install. Small and few
steps by default, so an install on a CPU makes them in a minute or two; styles that
already have an example are skipped unless `--force`. The README's setup runs it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gallery import services, starter_styles
from gallery.models import Example, Style
from stylizer.engine import EngineError, StyleParams, open_image, stylize

DEFAULT_SIZE = 192
DEFAULT_STEPS = 60
# The same seed each install: the examples are reproducible, like the starter styles.
SEED = 7


class Command(BaseCommand):
    help = "Paint the starter photo in the first curated styles for the landing page's before/after examples."

    def add_arguments(self, parser):
        parser.add_argument("--size", type=int, default=DEFAULT_SIZE, help="long side of each example, px")
        parser.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="optimizer steps per example")
        parser.add_argument("--limit", type=int, default=4, help="how many styles, in catalogue order")
        parser.add_argument("--force", action="store_true", help="make them again even where they exist")
        parser.add_argument("--device", default=settings.STYLIZER_DEVICE, help="auto, cpu, cuda or mps")

    def handle(self, *args, size: int, steps: int, limit: int, force: bool, device: str, **options):
        params = StyleParams(
            size=size,
            steps=steps,
            preset="draft",
            seed=SEED,
            device=device,
            weights=settings.STYLIZER_TORCHVISION_WEIGHTS,
        )
        photo = starter_styles.scene((size, size * 3 // 4))
        made = 0
        for style in Style.objects.active()[:limit]:
            if not force and Example.objects.filter(style=style).exists():
                self.stdout.write(f"{style.title}: already made (--force makes it again)")
                continue
            try:
                with style.image.open("rb") as handle:
                    painting = open_image(handle.read(), name=style.title)
                result = stylize(photo, [painting], params)
            except (EngineError, ValueError, OSError) as exc:
                raise CommandError(f"{style.title}: {exc}") from None
            services.example_replace(
                style=style, photo=photo, result=result.image, run_seconds=result.seconds, params=params.to_json()
            )
            made += 1
            self.stdout.write(f"{style.title}: {result.image.width}x{result.image.height} in {result.seconds:.1f} s")
        self.stdout.write(self.style.SUCCESS(f"{made} example(s) made."))
