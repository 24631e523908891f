import pytest

from training.ingest.titles import display_title, natural_title, split_year


@pytest.mark.parametrize(
    "raw, natural",
    [
        ("Deer Hunter, The", "The Deer Hunter"),
        ("American President, The", "The American President"),
        ("Man Called Horse, A", "A Man Called Horse"),
        ("Officer and a Gentleman, An", "An Officer and a Gentleman"),
        (
            "City of Lost Children, The (Cité des enfants perdus, La)",
            "The City of Lost Children (Cité des enfants perdus, La)",
        ),
        ("Misérables, Les", "Les Misérables"),
        ("Dolce Vita, La", "La Dolce Vita"),
        ("Homme et une femme, Un", "Un Homme et une femme"),
        ("Chien andalou, Un", "Un Chien andalou"),
        ("Good, the Bad and the Ugly, The", "The Good, the Bad and the Ugly"),
        ("Toy Story", "Toy Story"),
        ("Crouching Tiger, Hidden Dragon", "Crouching Tiger, Hidden Dragon"),
        ("  Heat  ", "Heat"),
    ],
)
def test_natural_title_moves_a_trailing_article_to_the_front(raw, natural):
    assert natural_title(raw) == natural


@pytest.mark.parametrize(
    "raw, title, year",
    [
        ("Toy Story (1995)", "Toy Story", 1995),
        ("Deer Hunter, The (1978)", "Deer Hunter, The", 1978),
        ("Babylon 5", "Babylon 5", None),
        ("Fawlty Towers (1975-1979)", "Fawlty Towers", 1975),
        ("1984 (1984)", "1984", 1984),
    ],
)
def test_split_year_takes_the_year_suffix(raw, title, year):
    assert split_year(raw) == (title, year)


@pytest.mark.parametrize(
    "raw, shown, aka",
    [
        ("Amelie (Fabuleux destin d'Amélie Poulain, Le)", "Amélie", ["Le Fabuleux destin d'Amélie Poulain"]),
        ("Dumb & Dumber (Dumb and Dumber)", "Dumb & Dumber", ["Dumb and Dumber"]),
        (
            "Léon: The Professional (a.k.a. The Professional) (Léon)",
            "Léon: The Professional",
            ["The Professional", "Léon"],
        ),
        (
            "City of Lost Children, The (Cité des enfants perdus, La)",
            "The City of Lost Children",
            ["La Cité des enfants perdus"],
        ),
        ("Eye, The (Gin gwai) (Jian gui)", "The Eye", ["Gin gwai", "Jian gui"]),
        ("Men in Black (a.k.a. MIB)", "Men in Black", ["MIB"]),
        ("Nazarin (Nazarín)", "Nazarín", []),
        ("(500) Days of Summer", "(500) Days of Summer", []),
        ("Shawshank Redemption, The", "The Shawshank Redemption", []),
        ("Godfather, The", "The Godfather", []),
        ("Broken (", "Broken (", []),
    ],
)
def test_display_title_is_the_main_title_and_the_rest_are_kept_as_aka(raw, shown, aka):
    assert display_title(raw) == (shown, aka)


def test_display_title_takes_accents_only_for_the_same_letters():
    assert display_title("Leon (Le Léopard)") == ("Leon", ["Le Léopard"])
