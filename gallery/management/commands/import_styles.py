"""`manage.py import_styles DIR`: add every image in DIR to the curated catalogue.

Titles come from file names ("starry_night.jpg" -> "Starry Night"); an optional
`styles.csv` in DIR (file,title,artist,year) supplies real titles, artists and years.
Files already imported (same title) are skipped, so the command can be re-run.
"""

from __future__ import annotations

import csv
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from gallery import services
from gallery.models import Style

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


class Command(BaseCommand):
    help = "Bulk-import a folder of images as curated styles."

    def add_arguments(self, parser) -> None:
        parser.add_argument("directory", type=Path)
        parser.add_argument("--inactive", action="store_true", help="Import hidden from the catalogue.")

    def handle(self, *args, directory: Path, inactive: bool, **options) -> None:
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a directory")
        metadata = _read_metadata(directory / "styles.csv")
        imported = skipped = failed = 0
        for path in sorted(p for p in directory.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
            info = metadata.get(path.name, {})
            title = info.get("title") or path.stem.replace("_", " ").replace("-", " ").title()
            if Style.objects.curated().filter(title=title).exists():
                skipped += 1
                continue
            try:
                with path.open("rb") as handle:
                    services.style_create(
                        title=title,
                        artist=info.get("artist", ""),
                        year=info.get("year", ""),
                        file=handle,
                        is_active=not inactive,
                    )
            except ValidationError as exc:
                failed += 1
                self.stderr.write(f"{path.name}: {'; '.join(exc.messages)}")
                continue
            imported += 1
            self.stdout.write(f"imported {path.name} as {title!r}")
        self.stdout.write(self.style.SUCCESS(f"{imported} imported, {skipped} already there, {failed} refused"))


def _read_metadata(path: Path) -> dict[str, dict[str, str]]:
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["file"]: row for row in csv.DictReader(handle) if row.get("file")}
