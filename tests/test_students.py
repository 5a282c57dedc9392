from pathlib import Path

from grader.students import assign_ids, blackboard_attempt, roster_order, student_id


def test_canvas_download_names():
    assert student_id("doejane_12345_67890_name.ipynb") == "doejane"
    assert student_id("doejane_LATE_12345_67890_my_mlp-1.ipynb") == "doejane"


def test_blackboard_download_names_give_the_username():
    assert student_id("HW 7_jdoe_attempt_2026-11-20-23-58-01_mlp.ipynb") == "jdoe"
    assert student_id("Lab_7_MNIST_s1234567_attempt_2026-11-20-09-05-00_my_lab7.ipynb") == \
        "s1234567"
    assert student_id("HW7_jdoe_attempt_2026-11-20-23-58-01.ipynb") == "jdoe"
    # two attempts of one student in one download: told apart, as Canvas' repeats are
    paths = [Path("HW7_jdoe_attempt_2026-11-20-23-58-01_a.ipynb"),
             Path("HW7_jdoe_attempt_2026-11-21-08-00-00_a.ipynb")]
    assert [sid for _, sid in assign_ids(paths)] == ["jdoe", "jdoe-2"]
    # not Blackboard's: no date-time after "_attempt_"
    assert student_id("my_attempt_1.ipynb") == "my_attempt_1"


def test_blackboard_attempts_keep_the_username_as_blackboard_spells_it():
    name = "HW 7_jane@uni.edu_attempt_2026-11-20-23-58-01_mlp.ipynb"
    assert blackboard_attempt(f"/dl/{name}") == ("jane@uni.edu", "2026-11-20-23-58-01")
    assert student_id(name) == "jane_uni.edu"  # the id is made safe; the username is not
    assert blackboard_attempt("HW7_jdoe_attempt_2026-11-20-23-58-01.ipynb") == \
        ("jdoe", "2026-11-20-23-58-01")
    assert blackboard_attempt("doejane_12345_67890_mlp.ipynb") is None


def test_plain_names_and_unsafe_characters():
    assert student_id("alice.ipynb") == "alice"
    assert student_id("../we ird$name.ipynb") == "we_ird_name"


def test_duplicate_ids_are_made_unique_in_file_order():
    paths = [Path("doejane_1_2_b.ipynb"), Path("doejane_1_3_a.ipynb"), Path("bob.ipynb")]
    assert assign_ids(paths) == [(Path("bob.ipynb"), "bob"), (Path("doejane_1_2_b.ipynb"),
                                 "doejane"), (Path("doejane_1_3_a.ipynb"), "doejane-2")]


def test_names_in_any_script_keep_their_letters():
    # 'Müller' and 'Mäller' must not both become 'M_ller' (and then 'M_ller-2')
    assert student_id("Müller.ipynb") == "Müller" and student_id("Mäller.ipynb") == "Mäller"
    assert student_id("Jöns Ängel – mlp (1).ipynb") == "Jöns_Ängel_mlp_1"
    assert student_id("hélène_12345_67890_mlp.ipynb") == "hélène"
    assert student_id("王伟.ipynb") == "王伟"


def test_a_name_written_decomposed_is_the_same_id():
    decomposed = "Mu\u0308ller.ipynb"  # as macOS writes file names
    assert student_id(decomposed) == student_id("M\u00fcller.ipynb") == "M\u00fcller"
    assert assign_ids([Path(decomposed), Path("Müller.ipynb")])[1][1] == "Müller-2"


def test_a_notebook_in_a_folder_of_its_own_is_named_for_the_folder(tmp_path):
    moodle = tmp_path / "Jane Doe_4711_assignsubmission_file_" / "mlp.ipynb"
    assert student_id(moodle, tmp_path) == "Jane_Doe_4711"
    assert student_id(tmp_path / "Jane Doe_4711_assignsubmission_file_mlp.ipynb") == (
        "Jane_Doe_4711")
    # blind marking names everyone "Participant": the number tells them apart
    assert student_id(tmp_path / "Participant_4712_assignsubmission_file_" / "a.ipynb",
                      tmp_path) == "Participant_4712"
    assert student_id(tmp_path / "alice" / "mlp.ipynb", tmp_path) == "alice"
    assert student_id(tmp_path / "alice" / "mlp.ipynb") == "mlp"  # no folder being graded
    assert student_id(tmp_path / "bob.ipynb", tmp_path) == "bob"
    two = [tmp_path / "alice" / "mlp.ipynb", tmp_path / "alice" / "mlp_v2.ipynb"]
    assert [sid for _, sid in assign_ids(two, tmp_path)] == ["alice", "alice-2"]


def test_roster_order_reads_numbers_as_numbers_and_ignores_case():
    ids = ["s10", "Bob", "s2", "alice", "s1", "Alice", "Jane_Doe_4711", "Jane_Doe_812", "s02"]
    assert sorted(ids, key=roster_order) == [
        "Alice", "alice", "Bob", "Jane_Doe_812", "Jane_Doe_4711", "s1", "s02", "s2", "s10"]


def test_roster_order_takes_any_id():
    ids = ["Müller", "müller-2", "²x", "٣", "7", "unnamed", "x²", ""]
    # no id makes the key fail; digits of any script are numbers (٣ is 3)
    assert sorted(ids, key=roster_order)[:5] == ["", "٣", "7", "Müller", "müller-2"]
    assert sorted(ids, key=roster_order) == sorted(sorted(ids), key=roster_order)
