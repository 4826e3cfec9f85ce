META
key;value
description;Hand-made approval election (Linli tests)
country;China
unit;Demo community
instance;2024
num_projects;4
num_votes;5
budget;100
vote_type;approval
rule;greedy
currency;CNY
PROJECTS
project_id;cost;votes;name;category;target;latitude;longitude
a;60;3;"Pavilion; with roof";environment,culture;elderly;31.2304;121.4737
b;50;2;Charging shed;transport;none;31.2310;121.4740
c;40;2;Culture wall;culture;children;31.2290;121.4750
d;30;0;Meal service;welfare;elderly;none;none
VOTES
voter_id;vote;age
v1;a,b;67
v2;a;35
v3;a,c;41
v4;c;none
v5;b;29
