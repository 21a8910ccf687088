"""Example bodies for the OpenAPI schema (the serializers' `extend_schema_serializer`)."""

PHOTO_ID = "5b0e6a9e-5d43-4a43-9a57-2f0c3a1b7d10"
STYLE_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
STYLIZATION_ID = "2c4a8f1e-63b1-4c1a-a6f4-8f0e5c7b9d21"
BASE = "https://nst.example.com/api/v1"

PHOTO = {
    "id": PHOTO_ID,
    "original_name": "holiday.jpg",
    "width": 2048,
    "height": 1365,
    "created_at": "2026-11-24T09:30:00Z",
    "image_url": f"{BASE}/photos/{PHOTO_ID}/image/",
    "thumbnail_url": f"{BASE}/photos/{PHOTO_ID}/thumbnail/",
}

STYLE = {
    "id": STYLE_ID,
    "title": "The Starry Night",
    "artist": "Vincent van Gogh",
    "year": "1889",
    "width": 1024,
    "height": 811,
    "is_active": True,
    "position": 10,
    "created_at": "2026-11-01T12:00:00Z",
    "image_url": f"{BASE}/styles/{STYLE_ID}/image/",
    "thumbnail_url": f"{BASE}/styles/{STYLE_ID}/thumbnail/",
}

STYLIZATION_RUNNING = {
    "id": STYLIZATION_ID,
    "status": "running",
    "progress": 42,
    "step": 105,
    "total_steps": 250,
    "queue_position": None,
    "eta_seconds": 95,
    "eta_at": "2026-11-24T09:32:45Z",
    "photo": PHOTO_ID,
    "styles": [{"id": STYLE_ID, "title": "The Starry Night", "weight": 1.0}],
    "options": {
        "size": 512,
        "preset": "standard",
        "steps": None,
        "style_strength": 1.0,
        "preserve_colors": False,
        "seed": 1843062147,
    },
    "error_message": "",
    "created_at": "2026-11-24T09:31:00Z",
    "queued_at": "2026-11-24T09:31:00Z",
    "started_at": "2026-11-24T09:31:02Z",
    "finished_at": None,
    "run_seconds": None,
    "preview_url": f"{BASE}/stylizations/{STYLIZATION_ID}/preview/?step=105",
    "result_url": None,
    "can_cancel": True,
    "can_retry": False,
    "remix_of": None,
}
STYLIZATION_SUCCEEDED = {
    **STYLIZATION_RUNNING,
    "status": "succeeded",
    "progress": 100,
    "step": 250,
    "eta_seconds": None,
    "eta_at": None,
    "finished_at": "2026-11-24T09:32:10Z",
    "run_seconds": 66.4,
    "preview_url": f"{BASE}/stylizations/{STYLIZATION_ID}/preview/?step=250",
    "result_url": f"{BASE}/stylizations/{STYLIZATION_ID}/result/",
    "can_cancel": False,
}
