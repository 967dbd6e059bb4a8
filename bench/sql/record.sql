-- One record by id (GET /records/{id}): the floor of a small call.
SELECT id, type, name, city FROM records WHERE id = %(id)s
