# Usage pattern of: wandb/wandb tests/standalone_tests/public_run.py
# A rewrite in our own words, not a copy: the public attributes and methods of
# the run object a user script reads, in the same order: mode, offline, id,
# entity, project, group, job_type, resumed, tags, sweep_id, config_static,
# path, save() with no argument, project_name(), get_project_url(),
# get_sweep_url(), get_url(), name, notes, assigning run.name, dir.
import agent as wandb


def describe(run):
    seen = {}
    seen["mode"] = run.mode
    seen["offline"] = run.offline
    for attr in ("id", "entity", "project", "group", "job_type", "resumed", "tags", "sweep_id"):
        seen[attr] = getattr(run, attr)
    seen["config_static"] = run.config_static
    seen["path"] = run.path
    return seen


def main():
    run = wandb.init(config=dict(units=128, layers=2))
    for key, value in describe(run).items():
        print(f"{key:>14}: {value!r}")
    run.save()
    print("project name:", run.project_name())
    links = [run.get_project_url(), run.get_sweep_url(), run.get_url()]
    print("links:", links)
    print("name/notes:", run.name, run.notes)
    run.name = "renamed-by-script"
    print("files go to", run.dir)


if __name__ == "__main__":
    main()
