package main

// The pools the contacts are drawn from. Domains use the reserved .example
// top-level domain and phone numbers the ranges set aside for fiction (US
// 555-01xx, UK 020 7946 0xxx, France 01 99 00 xx xx and alike), so no sample
// row names a real mailbox or line. The mobile fiction ranges are left out:
// libphonenumber, and so the CRMs, deem them invalid.

func firstNames() []string {
	return []string{
		"James", "Emily", "Michael", "Sarah", "David", "Jessica", "Daniel", "Ashley",
		"Olivia", "Liam", "Noah", "Emma", "Ava", "Lucas", "Mia", "Ethan",
		"José", "Zoë", "François", "Siobhán", "Björn", "Ngozi", "Wei", "Priya",
		"Mohammed", "Anne-Marie", "Jean-Luc", "Chloé", "Léa", "Hélène", "Łukasz", "Søren",
		"Aoife", "Mateo", "Camila", "Sofía", "Hugo", "Manon", "Camille", "Thomas",
		"Oliver", "Harry", "Amelia", "Isla", "Fatima", "Kwame", "Yuki", "Raj",
		"Ana", "Diego", "Chiara", "Mei", "Grace", "Connor", "Niamh", "Élodie",
	}
}

func lastNames() []string {
	return []string{
		"Smith", "Johnson", "Williams", "Brown", "Garcia", "Martinez", "O'Neil", "O'Brien",
		"McDonald", "Smith-Jones", "Dubois-Lefèvre", "Martin", "Bernard", "Durand", "Lefèvre", "Müller",
		"Schäfer", "Nguyen", "Kim", "Patel", "Okafor", "Nakamura", "Kowalski", "Andersen",
		"Fitzgerald", "Taylor", "Davies", "Evans", "Wilson", "Roberts", "van der Berg", "de la Cruz",
		"García Márquez", "Lloyd-Webber", "Rousseau", "Moreau", "Fournier", "Chen", "Wang", "Singh",
		"Cohen", "Rossi", "Novak", "Hughes", "Clarke", "Walsh", "Þórsdóttir", "Ó Súilleabháin",
	}
}

type company struct{ name, domain string }

func companies() []company {
	return []company{
		{"Bluepeak Analytics", "bluepeak"}, {"Northwind Traders", "northwind"}, {"Acme Robotics", "acme-robotics"},
		{"Globex Logistics", "globex"}, {"Initech", "initech"}, {"Umbrella Health", "umbrellahealth"},
		{"Stark & Wayne LLP", "starkwayne"}, {"Hooli", "hooli"}, {"Pied Piper", "piedpiper"},
		{"Soylent Foods", "soylent"}, {"Vandelay Industries", "vandelay"}, {"Wonka Confectionery", "wonka"},
		{"Tyrell Systems", "tyrell"}, {"Cyberdyne Labs", "cyberdyne"}, {"Oceanic Air", "oceanic"},
		{"Brasserie Lumière", "lumiere"}, {"Café Côté Jardin", "cotejardin"}, {"Atelier Dupré & Fils", "atelier-dupre"},
		{"Société Générale des Eaux Fictives", "sgef"}, {"Müller Maschinenbau GmbH", "mueller-mb"},
		{"Thames Valley Software Ltd", "tvsoftware"}, {"Kingsbridge Partners", "kingsbridge"},
		{"Highland Outdoor Co.", "highland-outdoor"}, {"O'Reilly Plumbing", "oreilly-plumbing"},
		{"Bright Path Education", "brightpath"}, {"Red Maple Realty", "redmaple"}, {"Summit Ridge Bank", "summitridge"},
		{"Lakeside Dental Group", "lakeside-dental"}, {"Evergreen Solar", "evergreen-solar"}, {"Quantum Leap AI", "quantumleap"},
	}
}

func jobTitles() []string {
	return []string{
		"CEO", "CTO", "VP of Sales", "Head of Marketing", "Marketing Manager", "Sales Director",
		"Account Executive", "Operations Manager", "Software Engineer", "Product Manager",
		"Office Manager", "Founder", "Directrice commerciale", "Responsable marketing",
		"Procurement Lead", "IT Manager", "HR Business Partner", "", "",
	}
}

type place struct {
	city, region, postal, country, areaCode string
}

func usPlaces() []place {
	return []place{
		{"Boston", "MA", "02108", "United States", "617"},
		{"Cambridge", "MA", "02139", "United States", "617"},
		{"Providence", "RI", "02903", "United States", "401"},
		{"Hartford", "CT", "06103", "United States", "860"},
		{"Hoboken", "NJ", "07030", "United States", "201"},
		{"Newark", "NJ", "07102", "United States", "973"},
		{"Portland", "ME", "04101", "United States", "207"},
		{"Burlington", "VT", "05401", "United States", "802"},
		{"San Juan", "PR", "00901", "United States", "787"},
		{"New York", "NY", "10001", "United States", "212"},
		{"Austin", "TX", "78701", "United States", "512"},
		{"Chicago", "IL", "60601", "United States", "312"},
		{"San Francisco", "CA", "94105", "United States", "415"},
		{"Seattle", "WA", "98101", "United States", "206"},
		{"Denver", "CO", "80202", "United States", "303"},
		{"Atlanta", "GA", "30303", "United States", "404"},
	}
}

func ukPlaces() []place {
	return []place{
		{"London", "England", "SW1A 1AA", "United Kingdom", "20"},
		{"London", "England", "EC1A 1BB", "United Kingdom", "20"},
		{"Manchester", "England", "M1 1AE", "United Kingdom", "161"},
		{"Edinburgh", "Scotland", "EH1 1YZ", "United Kingdom", "131"},
		{"Bristol", "England", "BS1 4DJ", "United Kingdom", "117"},
		{"Cardiff", "Wales", "CF10 1EP", "United Kingdom", "29"},
	}
}

func frPlaces() []place {
	return []place{
		{"Paris", "Île-de-France", "75008", "France", "1"},
		{"Paris", "Île-de-France", "75011", "France", "1"},
		{"Lyon", "Auvergne-Rhône-Alpes", "69002", "France", "4"},
		{"Bourg-en-Bresse", "Auvergne-Rhône-Alpes", "01000", "France", "4"},
		{"Laon", "Hauts-de-France", "02000", "France", "3"},
		{"Marseille", "Provence-Alpes-Côte d'Azur", "13001", "France", "4"},
		{"Bordeaux", "Nouvelle-Aquitaine", "33000", "France", "5"},
		{"Nantes", "Pays de la Loire", "44000", "France", "2"},
	}
}

func streets(country string) []string {
	switch country {
	case "United Kingdom":
		return []string{"High Street", "Station Road", "Church Lane", "Victoria Road", "King's Road"}
	case "France":
		return []string{"rue de la Paix", "avenue Jean Jaurès", "boulevard Voltaire", "rue du Faubourg Saint-Honoré", "place Bellecour"}
	default:
		return []string{"Main St", "Oak Ave", "Washington Blvd", "Elm Street", "Congress Ave", "Harbor Dr"}
	}
}

func lifecycleStages() []string {
	return []string{"Subscriber", "Lead", "Lead", "Lead", "Marketing Qualified Lead", "Sales Qualified Lead", "Opportunity", "Customer"}
}

func leadStatuses() []string {
	return []string{"New", "New", "Open", "In Progress", "Attempted to Contact", "Connected", "Open Deal", "Unqualified", "Bad Timing", ""}
}

func sources() []string {
	return []string{"Organic Search", "Paid Search", "Direct Traffic", "Referrals", "Social Media", "Email Marketing", "Offline Sources", "Paid Social"}
}

func plainNotes() []string {
	return []string{
		"Asked for a demo next quarter",
		"Met at SaaStr, follow up in Q3",
		"Prefers email, not phone",
		"Budget approved; waiting on legal",
		"Renewal due in March, wants a discount",
		"Call notes:\nInterested in the annual plan.\nSend pricing.",
		"Said \"call me after lunch\"",
		"Référence client : dossier n° 42, à rappeler",
		"Imported from trade show list\nBadge scanned twice",
	}
}
