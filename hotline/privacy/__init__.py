"""What the hotline keeps about workers, for how long, and how a worker sees or erases it:
retention (`retention`), access and erasure requests (`worker_data`), and the periods the
privacy notice states (`notice`)."""
