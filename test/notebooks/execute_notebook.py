"""Execute one notebook the way CI must: `jupyter nbconvert --execute` with the tslab kernel.

tslab reports a failing cell to Jupyter without an error name or message (the text goes to the
cell's stderr stream only), so nbconvert's own failure says just "<Error>:". When nbconvert
fails, this re-runs the notebook with nbclient (the engine nbconvert uses) to print the failing
cell's stderr, so a red CI says why.

usage: execute_notebook.py NOTEBOOK OUT_DIR KERNEL_NAME TIMEOUT
"""
import os
import subprocess
import sys

notebook, out_dir, kernel, timeout = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
cmd = ["jupyter", "nbconvert", "--to", "notebook", "--execute",
       f"--ExecutePreprocessor.kernel_name={kernel}", f"--ExecutePreprocessor.timeout={timeout}",
       "--output-dir", out_dir, notebook]
r = subprocess.run(cmd, capture_output=True, text=True)
if r.returncode == 0:
    sys.exit(0)
sys.stderr.write(r.stderr[-4000:])
try:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(nb, kernel_name=kernel, timeout=int(timeout),
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(notebook))}})
    try:
        client.execute()
    except CellExecutionError:
        failed = [c for c in nb.cells if c.get("cell_type") == "code" and c.get("outputs")][-1:]
        for cell in failed:
            sys.stderr.write("\n--- failing cell ---\n" + "".join(cell.source) + "\n--- its output ---\n")
            for o in cell.outputs:
                if o.get("output_type") == "stream":
                    sys.stderr.write(o.get("text", ""))
except Exception as e:  # the diagnosis must never hide the failure
    sys.stderr.write(f"\n(could not re-run for diagnosis: {e})\n")
sys.exit(1)
