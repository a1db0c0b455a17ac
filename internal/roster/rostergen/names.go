package rostergen

// Names for synthetic people: common given names, and family names that fit each home language,
// so a generated roster reads like a real, diverse district. All combinations are made up.

func femaleNames() []string {
	return []string{"Olivia", "Emma", "Ava", "Sophia", "Isabella", "Mia", "Amelia", "Harper", "Evelyn", "Abigail",
		"Camila", "Valentina", "Sofia", "Lucia", "Ximena", "Mariana", "Daniela", "Gabriela", "Aaliyah", "Zoe",
		"Maya", "Nia", "Imani", "Layla", "Fatima", "Amira", "Noor", "Mei", "Lin", "Anh", "Linh", "Mai",
		"Naomi", "Chloe", "Grace", "Hannah", "Leah", "Ruth", "Esther", "Ana", "Beatriz", "Fadumo", "Hodan",
		"Nadege", "Mirlande", "Ella", "Aria", "Riley", "Nora", "Lily"}
}

func maleNames() []string {
	return []string{"Liam", "Noah", "Oliver", "Elijah", "James", "William", "Benjamin", "Lucas", "Henry", "Theodore",
		"Mateo", "Santiago", "Diego", "Sebastian", "Leonardo", "Emiliano", "Carlos", "Luis", "Jayden", "Malik",
		"Andre", "Darius", "Omar", "Yusuf", "Ahmed", "Karim", "Wei", "Jun", "Hao", "Minh", "Duc", "Bao",
		"Samuel", "Isaac", "Caleb", "Ethan", "Jacob", "Daniel", "Joao", "Pedro", "Abdi", "Mohamed", "Jean",
		"Wilson", "Stevenson", "Owen", "Wyatt", "Jack", "Levi", "Ezra"}
}

func neutralNames() []string {
	return []string{"Alex", "Jordan", "Taylor", "Morgan", "Riley", "Avery", "Quinn", "Rowan", "Sage", "River",
		"Kai", "Ari", "Emerson", "Phoenix", "Remy", "Skyler"}
}

func familyNames(lang string) []string {
	switch lang {
	case "es":
		return []string{"Garcia", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Perez", "Sanchez",
			"Ramirez", "Torres", "Flores", "Rivera", "Gomez", "Diaz", "Cruz", "Morales", "Reyes", "Ortiz"}
	case "zh-Hans":
		return []string{"Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun"}
	case "vi":
		return []string{"Nguyen", "Tran", "Le", "Pham", "Hoang", "Huynh", "Phan", "Vu", "Vo", "Dang", "Bui", "Do"}
	case "ar":
		return []string{"Haddad", "Khalil", "Nasser", "Saleh", "Mansour", "Hassan", "Ibrahim", "Youssef", "Aziz", "Farah"}
	case "ht":
		return []string{"Jean-Baptiste", "Pierre", "Joseph", "Louis", "Charles", "Francois", "Etienne", "Desir", "Augustin", "Celestin"}
	case "so":
		return []string{"Mohamed", "Ali", "Hassan", "Abdi", "Ahmed", "Warsame", "Osman", "Farah", "Yusuf", "Nur"}
	case "pt":
		return []string{"Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa", "Ferreira", "Almeida", "Carvalho", "Ribeiro"}
	}
	return []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
		"Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson",
		"Walker", "Young", "Allen", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell",
		"Mitchell", "Roberts", "Carter", "Phillips", "Evans", "Turner", "Parker", "O'Brien", "Washington", "Kim", "Patel"}
}

func placeNames() []string {
	return []string{"Lincoln", "Washington", "Jefferson", "Roosevelt", "King", "Douglass", "Tubman", "Chavez", "Parks",
		"Hawthorne", "Maple", "Oak Grove", "Cedar", "Riverside", "Lakeview", "Hillcrest", "Prairie", "Meadow", "Summit",
		"Willow", "Bridgeport", "Harbor", "Westfield", "Eastwood", "Northgate", "Southside", "Central", "Park", "Garfield",
		"Adams", "Madison", "Monroe", "Franklin", "Edison", "Carver", "Sojourner Truth", "Mandela", "Kennedy", "Hamilton", "Irving"}
}
