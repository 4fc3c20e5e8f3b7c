"""The demo flow as reusable steps: deliver a synthetic world, run the job, check the money."""
