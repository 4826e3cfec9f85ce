META
key;value
budget;10
vote_type;approval
PROJECTS
project_id;cost
a;5
