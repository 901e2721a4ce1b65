"""Staff admin: the song list, its actions, Import CSV, and harvest runs."""

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from music.features import REQUIRED_FEATURES
from music.models import HarvestRun, Song
from music.paging import SONGS_PER_VISIT
from music.services import refresh_primary_versions

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:music_song_changelist")
IMPORT = reverse("admin:music_song_import")
FEATURES = {name: 0.5 for name in REQUIRED_FEATURES} | {"loudness": -6.0}


def make_song(n, **fields):
    values = {"name": f"Song {n}", **FEATURES, **fields}
    return Song.objects.create(spotify_id=f"Adm{n:019d}", **values)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The default hasher costs ~0.5 s per user on this shared CPU.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def listed(response):
    return set(response.context["cl"].result_list)


def staff_client(client, *permissions):
    user = User.objects.create_user("staff", password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="music", codename__in=permissions
        )
    )
    client.force_login(user)
    return client


def upload(name, data):
    return SimpleUploadedFile(name, data, content_type="text/csv")


# --- the song list ----------------------------------------------------------


def test_changelist_shows_songs_with_cover_and_override_marked(admin_client):
    make_song(1, cover_url="https://i.scdn.co/image/abc", predicted_mood="happy")
    make_song(2, predicted_mood="happy", mood_override="sad", mood_confidence=0.875)

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<img src="https://i.scdn.co/image/abc"' in html
    assert "cover-placeholder" in html
    assert "<strong" in html and "sad</strong> (override)" in html
    assert "0.88" in html
    assert "Import CSV" in html


def test_changelist_counts_recommendable_songs_per_mood(admin_client):
    make_song(1, predicted_mood="happy")
    make_song(2, predicted_mood="happy", mood_override="calm")
    make_song(3, predicted_mood="happy", excluded=True)
    make_song(4, mood_override="sad", tempo=None)  # no features: not shown

    response = admin_client.get(CHANGELIST)

    assert dict(response.context["mood_counts"]) == {
        "calm": 1,
        "happy": 1,
        "energetic": 0,
        "sad": 0,
    }


def test_search_by_name_artist_and_album(admin_client):
    by_name = make_song(1, name="Yesterday")
    by_artist = make_song(2, artists="The Beatles")
    by_album = make_song(3, album="Abbey Road")
    make_song(4, name="Other")

    def search(term):
        return listed(admin_client.get(CHANGELIST, {"q": term}))

    assert search("yesterday") == {by_name}
    assert search("beatles") == {by_artist}
    assert search("abbey") == {by_album}


def test_filters(admin_client):
    happy = make_song(1, predicted_mood="happy", genre="pop")
    overridden = make_song(2, predicted_mood="happy", mood_override="sad")
    excluded = make_song(3, excluded=True, genre="rock")
    featureless = make_song(4, tempo=None)

    def filtered(**params):
        response = admin_client.get(CHANGELIST, params)
        assert response.status_code == 200
        return listed(response)

    assert filtered(mood="happy") == {happy}
    assert filtered(mood="sad") == {overridden}
    assert filtered(mood="none") == {excluded, featureless}
    assert filtered(override="set") == {overridden}
    assert filtered(override="unset") == {happy, excluded, featureless}
    assert filtered(excluded__exact="1") == {excluded}
    assert filtered(genre="rock") == {excluded}
    assert filtered(has_features__exact="0") == {featureless}


def test_non_staff_are_sent_to_login(client):
    user = User.objects.create_user("visitor", password="pw")
    client.force_login(user)

    for url in (CHANGELIST, IMPORT):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


def test_editing_features_marks_the_prediction_stale(admin_client):
    song = make_song(1, predicted_mood="happy", mood_model_version="v1")
    url = reverse("admin:music_song_change", args=[song.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {
        name: "" if value is None else value
        for name, value in form.initial.items()
        if name in form.fields
    }

    admin_client.post(url, {**data, "name": "Renamed"})
    song.refresh_from_db()
    assert (song.name, song.mood_model_version) == ("Renamed", "v1")

    admin_client.post(url, {**data, "name": "Renamed", "energy": "0.9"})
    song.refresh_from_db()
    assert (song.energy, song.mood_model_version) == (0.9, "")
    assert song.predicted_mood == "happy"


# --- actions ----------------------------------------------------------------


def act(admin_client, action, songs):
    return admin_client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [song.pk for song in songs]},
        follow=True,
    )


@pytest.mark.parametrize("mood", ["calm", "happy", "energetic", "sad"])
def test_set_override_action(admin_client, mood):
    chosen, other = make_song(1, predicted_mood="calm"), make_song(2)

    act(admin_client, f"set_override_{mood}", [chosen])

    chosen.refresh_from_db(), other.refresh_from_db()
    assert (chosen.mood_override, chosen.predicted_mood) == (mood, "calm")
    assert other.mood_override == ""


def test_clear_override_exclude_and_include_actions(admin_client):
    song = make_song(1, mood_override="sad")

    act(admin_client, "clear_override", [song])
    song.refresh_from_db()
    assert song.mood_override == ""

    act(admin_client, "exclude_songs", [song])
    song.refresh_from_db()
    assert song.excluded is True

    act(admin_client, "include_songs", [song])
    song.refresh_from_db()
    assert song.excluded is False


def test_listeners_tracks_are_approved_or_rejected_by_staff(admin_client):
    approved = make_song(
        1, predicted_mood="happy", excluded=True, awaiting_approval=True
    )
    rejected = make_song(
        2, predicted_mood="happy", excluded=True, awaiting_approval=True
    )
    curated_out = make_song(3, predicted_mood="happy", excluded=True)
    page = admin_client.get(CHANGELIST, {"awaiting_approval__exact": "1"})
    assert listed(page) == {approved, rejected}

    act(admin_client, "approve_suggestions", [approved, curated_out])
    act(admin_client, "reject_suggestions", [rejected])

    pool = Song.objects.recommendable()
    assert approved in pool and rejected not in pool and curated_out not in pool
    for song in (approved, rejected, curated_out):
        song.refresh_from_db()
        assert not song.awaiting_approval
    assert (rejected.excluded, curated_out.excluded) == (True, True)


def test_reclassify_runs_the_classifier_on_the_selection(admin_client, mood_model):
    chosen = make_song(1, predicted_mood="calm", valence=0.95, energy=0.5)
    other = make_song(2, predicted_mood="calm", valence=0.95, energy=0.5)

    response = act(admin_client, "reclassify", [chosen])

    messages = [str(m) for m in response.context["messages"]]
    assert "Reclassified: calm 0, happy 1, energetic 0, sad 0." in messages
    chosen.refresh_from_db(), other.refresh_from_db()
    assert (chosen.predicted_mood, chosen.mood_model_version) == ("happy", "tiny-v1")
    assert (other.predicted_mood, other.mood_model_version) == ("calm", "")


def test_reclassify_without_model_shows_an_error(admin_client, no_mood_model):
    song = make_song(1, predicted_mood="calm")

    response = act(admin_client, "reclassify", [song])

    assert response.status_code == 200
    (message,) = [m for m in response.context["messages"] if m.level_tag == "error"]
    assert "mood model unavailable" in str(message)
    song.refresh_from_db()
    assert song.predicted_mood == "calm"


def test_reclassify_never_overwrites_an_override(admin_client, mood_model):
    song = make_song(1, mood_override="sad")

    act(admin_client, "reclassify", [song])

    song.refresh_from_db()
    assert song.mood_override == "sad"
    assert song.predicted_mood != ""


# --- Import CSV -------------------------------------------------------------


def test_import_page_imports_and_lists_bad_rows(admin_client, catalogue, no_mood_model):
    rows = [1, catalogue.row("data_moods", 2, id="bad-id"), 3]
    path = catalogue.write("data_moods", rows, name="moods.csv")

    response = admin_client.post(
        IMPORT, {"csv_file": upload("moods.csv", path.read_bytes())}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "3 rows read, 2 new, 0 updated" in html
    assert "line 3: id &#x27;bad-id&#x27; is not a 22-character Spotify id" in html
    assert "mood model unavailable" in html
    assert Song.objects.count() == 2


def test_import_page_works_for_uploads_spooled_to_disk(
    admin_client, catalogue, settings, mood_model
):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # Django writes a temporary file
    path = catalogue.write("tidytuesday", [1, 2])

    response = admin_client.post(IMPORT, {"csv_file": path.open("rb")})

    assert response.status_code == 200
    assert Song.objects.count() == 2
    assert (
        "Classified: calm 0, happy 0, energetic 2, sad 0." in response.content.decode()
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"title,singer\nHello,Adele\n", "unrecognised CSV header"),
        (b"track_id,name\ncaf\xe9\n", "not UTF-8 text"),
        (b"", "The submitted file is empty."),
    ],
)
def test_import_page_rejects_bad_files_with_a_message(admin_client, data, message):
    response = admin_client.post(IMPORT, {"csv_file": upload("bad.csv", data)})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Song.objects.count() == 0


def test_import_page_lists_the_expected_columns_for_an_unknown_header(admin_client):
    data = b"title,singer\nHello,Adele\n"
    response = admin_client.post(IMPORT, {"csv_file": upload("bad.csv", data)})

    html = response.content.decode()
    assert "Track URI, Track Name, Artist Name(s)" in html
    assert "track_id, track_name, track_artist" in html


def test_import_page_without_a_file_is_a_form_error(admin_client):
    response = admin_client.post(IMPORT, {})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_import_page_needs_add_and_change_permission(client):
    staff = staff_client(client, "view_song")

    assert staff.get(IMPORT).status_code == 403
    assert "Import CSV" not in staff.get(CHANGELIST).content.decode()


def test_import_page_open_to_staff_with_add_and_change(client):
    staff = staff_client(client, "add_song", "change_song")

    assert staff.get(IMPORT).status_code == 200


# --- harvest runs -----------------------------------------------------------


def test_harvest_runs_are_listed_read_only(admin_client):
    run = HarvestRun.objects.create(
        sources=[["search", "chill"], ["playlist", "37i9dQZF1DXcZDD7cfEKhW"]],
        state=HarvestRun.FINISHED,
        new_count=12,
        errors=[{"at": "2026-01-01T00:00:00", "message": "HTTP 500 on page 3"}],
    )

    changelist = admin_client.get(reverse("admin:music_harvestrun_changelist"))
    detail = admin_client.get(reverse("admin:music_harvestrun_change", args=[run.pk]))

    assert changelist.status_code == 200
    assert "search: chill; playlist: 37i9dQZF1DXcZDD7cfEKhW" in (
        changelist.content.decode()
    )
    assert changelist.context["has_add_permission"] is False
    assert detail.status_code == 200
    assert "HTTP 500 on page 3" in detail.content.decode()
    assert 'name="_save"' not in detail.content.decode()


def test_harvest_runs_cannot_be_added(admin_client):
    response = admin_client.get(reverse("admin:music_harvestrun_add"))

    assert response.status_code == 403


def test_changelist_warns_about_moods_thinner_than_a_visit(admin_client):
    for n in range(SONGS_PER_VISIT):
        make_song(n, predicted_mood="happy")
    make_song(SONGS_PER_VISIT + 1, predicted_mood="sad")

    response = admin_client.get(CHANGELIST)

    (warning,) = [m for m in response.context["messages"] if m.level_tag == "warning"]
    assert "Fewer songs than a visit pages through (48): calm (0)" in str(warning)
    assert "sad (1)" in str(warning) and "happy" not in str(warning)


def test_excluding_a_version_lets_the_next_best_be_served(admin_client):
    song = {"artists": "Don Omar", "predicted_mood": "happy"}
    best = make_song(1, name="Salió El Sol", mood_score=0.9, **song)
    remaster = make_song(
        2, name="Salió El Sol - Remastered 2016", mood_score=0.5, **song
    )
    refresh_primary_versions()
    assert list(Song.objects.recommendable()) == [best]

    act(admin_client, "exclude_songs", [best])

    assert list(Song.objects.recommendable()) == [remaster]


def test_action_messages_count_in_words(admin_client):
    one, two = make_song(1), make_song(2)
    response = act(admin_client, "exclude_songs", [one])
    assert b"1 song excluded." in response.content
    response = act(admin_client, "include_songs", [one, two])
    assert b"2 songs included." in response.content
